import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import type { Test } from 'tap'
import { files, type StoredFile } from '../../../src/db/schema/index.js'
import { multipartBody, type Part, type TestApp, type TestUser } from '../../helpers/index.js'
import { startS3Server, type S3TestServer } from '../../helpers/s3.js'

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/**
 * Where a test's apps keep file bytes. Every file test runs once per backend; paths are as
 * `storedPaths` shows them (`<uuid>` for committed bytes, `tmp/<uuid>` for uploads in progress).
 */
export interface StorageBackend {
  name: 'local' | 's3'
  /** The app environment that selects this backend. */
  env: Record<string, string>
  /** The S3 server behind the `s3` backend. */
  s3: S3TestServer | undefined
  /** Every stored object of `app`: files under its upload directory, or keys in its bucket, sorted. */
  paths: (app: TestApp) => Promise<string[]>
  bytes: (app: TestApp, path: string) => Promise<Buffer>
  /** Stores bytes under `path` behind the app's back (as a crash would leave them). */
  put: (app: TestApp, path: string, content: Buffer) => Promise<void>
  /** Makes the bytes under `path` look `ageMs` old. */
  backdate: (app: TestApp, path: string, ageMs: number) => Promise<void>
  /** The environment of an app whose store is its own (a fresh bucket; a fresh database has a fresh directory). */
  isolated: (name: string) => Record<string, string>
  /** Bytes of an upload in progress have reached the store: a temporary file, or a part of a multipart upload. */
  receiving: (app: TestApp) => Promise<boolean>
  /** The store has let go of a cut-off upload: the temporary file is gone, or the multipart upload was aborted. */
  cancelled: (app: TestApp) => Promise<boolean>
  /** Removes what is stored under `path`. */
  remove: (app: TestApp, path: string) => Promise<void>
  /** Every write and removal fails until the returned function ends the outage. */
  outage: (app: TestApp) => Promise<() => Promise<void>>
}

const uploadRoot = (app: TestApp) => resolve(app.config.UPLOAD_DIR)

const localBackend: StorageBackend = {
  name: 'local',
  env: { STORAGE: 'local' },
  s3: undefined,
  async paths (app) {
    const root = uploadRoot(app)
    const entries = await readdir(root, { recursive: true, withFileTypes: true })
    return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name))).sort()
  },
  bytes: async (app, path) => await readFile(join(uploadRoot(app), path)),
  isolated: () => ({}),
  receiving: async (app) => (await localBackend.paths(app)).some((path) => path.startsWith('tmp/')),
  cancelled: async (app) => !(await localBackend.paths(app)).some((path) => path.startsWith('tmp/')),
  remove: async (app, path) => { await rm(join(uploadRoot(app), path)) },
  async put (app, path, content) {
    await mkdir(dirname(join(uploadRoot(app), path)), { recursive: true })
    await writeFile(join(uploadRoot(app), path), content)
  },
  async backdate (app, path, ageMs) {
    const then = new Date(Date.now() - ageMs)
    await utimes(join(uploadRoot(app), path), then, then)
  },
  async outage (app) {
    // A file where the upload directory was: every open, rename and removal under it fails (ENOTDIR).
    const root = uploadRoot(app)
    await rename(root, `${root}.away`)
    await writeFile(root, 'not a directory')
    return async () => {
      await rm(root)
      await rename(`${root}.away`, root)
    }
  }
}

function s3Backend (s3: S3TestServer): StorageBackend {
  return {
    name: 's3',
    env: s3.env,
    s3,
    paths: async (app) => await s3.keys(app.config.S3_BUCKET),
    bytes: async (_app, path) => await s3.bytes(path),
    isolated: (name) => ({ S3_BUCKET: name }),
    receiving: async () => s3.requests.some((request) => request.method === 'PUT' && /[?&]uploadId=/.test(request.url)),
    cancelled: async () => s3.requests.some((request) => request.method === 'DELETE' && /[?&]uploadId=/.test(request.url)),
    remove: async (_app, path) => { await s3.remove(path) },
    put: async (_app, path, content) => { await s3.put(path, content) },
    backdate: async (_app, path, ageMs) => { await s3.backdate(path, ageMs) },
    async outage () {
      await s3.stop()
      return s3.start
    }
  }
}

/**
 * Runs `suite` once on the local disk and once on S3 (a real s3rver started for it); `TEST_STORAGE=local`
 * or `=s3` runs one of them only.
 */
export function eachBackend (t: Test, suite: (t: Test, backend: StorageBackend) => Promise<void>): void {
  const only = process.env.TEST_STORAGE
  if (only !== 's3') t.test('on the local disk', async (t) => { await suite(t, localBackend) })
  if (only !== 'local') {
    t.test('on S3 (s3rver)', async (t) => { await suite(t, s3Backend(await startS3Server(t))) })
  }
}

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

export async function fileRows (app: TestApp): Promise<StoredFile[]> {
  return await app.db.select().from(files)
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
