import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../src/config.js'
import { authors, books, files, type StoredFile } from '../../../src/db/schema/index.js'
import { build, type TestContext, type TestUser } from '../../helpers/index.js'

export type App = FastifyInstance & { config: Config }

/** The app, with its upload directory removed when the test ends. */
export async function buildFilesApp (t: TestContext, env: Record<string, string> = {}): Promise<App> {
  const app = await build(t, { env })
  t.teardown(() => rm(resolve(app.config.UPLOAD_DIR), { recursive: true, force: true }))
  return app
}

/** A PDF-looking buffer of exactly `size` bytes (at least the 9-byte header). */
export function pdfBytes (size = 1000): Buffer {
  const head = Buffer.from('%PDF-1.7\n', 'latin1')
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]).subarray(0, Math.max(size, 0))
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

export interface FilePart {
  name: string
  filename: string
  content: Buffer
  contentType?: string
  /** Raw `Content-Disposition` parameters instead of `filename="…"` (for encoded names). */
  dispositionParams?: string
}

export interface FieldPart {
  name: string
  value: string
}

export type Part = FilePart | FieldPart

/** A multipart/form-data body built by hand: exactly the bytes a browser would send. */
export function multipartBody (parts: Part[], boundary = `----bookstore${randomBytes(8).toString('hex')}`) {
  const chunks: Buffer[] = []
  for (const part of parts) {
    if ('content' in part) {
      const params = part.dispositionParams ?? `filename="${part.filename}"`
      chunks.push(Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; ${params}\r\n` +
        `Content-Type: ${part.contentType ?? 'application/pdf'}\r\n\r\n`, 'utf8'))
      chunks.push(part.content, Buffer.from('\r\n'))
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`, 'utf8'))
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

export async function uploadParts (app: App, user: TestUser, parts: Part[], { method = 'POST', url = '/api/files' }: { method?: 'POST' | 'PUT', url?: string } = {}) {
  const { payload, headers } = multipartBody(parts)
  return await app.inject({ method, url, payload, headers: { ...user.headers, ...headers } })
}

/** Uploads `content` as the `file` part (and `bookId` when given). */
export async function upload (app: App, user: TestUser, content: Buffer, { filename = 'book.pdf', bookId }: { filename?: string, bookId?: number | string } = {}) {
  const parts: Part[] = [{ name: 'file', filename, content }]
  if (bookId !== undefined) parts.push({ name: 'bookId', value: String(bookId) })
  return await uploadParts(app, user, parts)
}

export interface FileBody {
  id: number
  filename: string
  contentType: string
  size: number
  sha256: string
  ownerId: number
  bookId: number | null
  createdAt: string
  downloadUrl: string
}

/** Uploads a PDF and returns the created file, failing loudly otherwise. */
export async function uploadPdf (app: App, user: TestUser, options: { filename?: string, bookId?: number, size?: number } = {}) {
  const content = pdfBytes(options.size ?? 1000)
  const response = await upload(app, user, content, options)
  if (response.statusCode !== 201) throw new Error(`upload failed: ${response.statusCode} ${response.body}`)
  return { file: response.json<FileBody>(), content }
}

/** Every regular file under the upload directory, as paths relative to it. */
export async function storedPaths (app: App): Promise<string[]> {
  const root = resolve(app.config.UPLOAD_DIR)
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name))).sort()
}

export async function storedBytes (app: App, storageKey: string): Promise<Buffer> {
  return await readFile(join(resolve(app.config.UPLOAD_DIR), storageKey))
}

export async function fileRows (app: App): Promise<StoredFile[]> {
  return await app.db.select().from(files)
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A book straight in the database (soft-deleted when `deleted`), for `bookId` links. */
export async function createBook (app: App, ownerId: number, { deleted = false }: { deleted?: boolean } = {}): Promise<number> {
  const [author] = await app.db.insert(authors).values({ name: 'Ursula K. Le Guin' }).$returningId()
  if (author === undefined) throw new Error('author insert returned no id')
  const isbn = `978${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`
  const [book] = await app.db.insert(books).values({
    title: 'The Dispossessed',
    isbn,
    publicationYear: 1974,
    authorId: author.id,
    ownerId,
    deletedAt: deleted ? new Date() : null
  }).$returningId()
  if (book === undefined) throw new Error('book insert returned no id')
  return book.id
}
