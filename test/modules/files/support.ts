import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { files, type StoredFile } from '../../../src/db/schema/index.js'
import { multipartBody, type Part, type TestApp, type TestUser } from '../../helpers/index.js'

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

export async function uploadParts (app: TestApp, user: TestUser, parts: Part[], { method = 'POST', url = '/api/files' }: { method?: 'POST' | 'PUT', url?: string } = {}) {
  const { payload, headers } = multipartBody(parts)
  return await app.inject({ method, url, payload, headers: { ...user.headers, ...headers } })
}

/** Uploads `content` as the `file` part (and `bookId` when given). */
export async function upload (app: TestApp, user: TestUser, content: Buffer, { filename = 'book.pdf', bookId }: { filename?: string, bookId?: number | string } = {}) {
  const parts: Part[] = [{ name: 'file', filename, content }]
  if (bookId !== undefined) parts.push({ name: 'bookId', value: String(bookId) })
  return await uploadParts(app, user, parts)
}

/** Every regular file under the upload directory, as paths relative to it. */
export async function storedPaths (app: TestApp): Promise<string[]> {
  const root = resolve(app.config.UPLOAD_DIR)
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name))).sort()
}

export async function storedBytes (app: TestApp, storageKey: string): Promise<Buffer> {
  return await readFile(join(resolve(app.config.UPLOAD_DIR), storageKey))
}

export async function fileRows (app: TestApp): Promise<StoredFile[]> {
  return await app.db.select().from(files)
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
