import { randomUUID } from 'node:crypto'
import { mkdir, open, opendir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import fp from 'fastify-plugin'

/** An inclusive byte range, as in `Range: bytes=start-end`. */
export interface ByteRange {
  start: number
  end: number
}

/** Where new bytes are streamed before they are committed under their final key. */
export interface WriteTarget {
  /** Names the uncommitted bytes; pass it to `commit` or `discard`. */
  tempKey: string
  stream: Writable
}

/**
 * Where the bytes of shared files live, named by random keys (never a client's name). The routes
 * only use this interface, so an S3-compatible store can replace the local disk without touching
 * them: `createWriteTarget` ↔ a multipart upload, `commit` ↔ completing it, `openRead` ↔ a ranged GET.
 */
export interface FileStorage {
  /** Creates what it needs (a directory, a bucket check); called once at start-up. */
  init: () => Promise<void>
  /** A fresh, private place to stream new bytes into. */
  createWriteTarget: () => Promise<WriteTarget>
  /** Makes the written bytes visible under `key`, atomically: readers see all of them or none. */
  commit: (tempKey: string, key: string) => Promise<void>
  /** Drops uncommitted bytes; never throws for bytes already gone. */
  discard: (tempKey: string) => Promise<void>
  /** The bytes under `key` (only `range` of them when given); throws `StoredObjectMissingError` when there are none. */
  openRead: (key: string, range?: ByteRange) => Promise<Readable>
  /** The size of the bytes under `key`, or `undefined` when there are none. */
  stat: (key: string) => Promise<{ size: number } | undefined>
  /** Deletes the bytes under `key`; succeeds when they are already gone. */
  remove: (key: string) => Promise<void>
  /** Uncommitted bytes older than `maxAgeMs` (left by a crash) are dropped; returns how many. */
  sweepTemporary: (maxAgeMs: number) => Promise<number>
  /** Keys of committed bytes last written more than `minAgeMs` ago, in batches. */
  listKeys: (minAgeMs: number) => AsyncIterable<string[]>
}

export class StoredObjectMissingError extends Error {
  override name = 'StoredObjectMissingError'
  constructor (readonly key: string) {
    super(`No stored bytes under ${key}`)
  }
}

/** Storage keys are random UUIDs; anything else is refused before it gets near a path. */
const keyPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function newStorageKey (): string {
  return randomUUID()
}

function checkKey (key: string): string {
  if (!keyPattern.test(key)) throw new Error('Invalid storage key')
  return key
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * Files in one directory: committed bytes as `<dir>/<uuid>`, uploads in progress as
 * `<dir>/tmp/<uuid>`. Both are on the same filesystem, so `commit` is a `rename(2)`: atomic.
 */
export function createLocalDiskStorage (directory: string): FileStorage {
  const root = resolve(directory)
  const tempRoot = join(root, 'tmp')
  const finalPath = (key: string) => join(root, checkKey(key))
  const tempPath = (key: string) => join(tempRoot, checkKey(key))

  return {
    async init () {
      await mkdir(tempRoot, { recursive: true, mode: 0o700 })
    },

    async createWriteTarget () {
      const tempKey = newStorageKey()
      // `wx`: never reuse or follow an existing entry; 0600: only this service reads the bytes. The
      // file exists once this resolves, so `discard` can never run before it is created.
      const handle = await open(tempPath(tempKey), 'wx', 0o600)
      return { tempKey, stream: handle.createWriteStream() }
    },

    async commit (tempKey, key) {
      await rename(tempPath(tempKey), finalPath(key))
    },

    async discard (tempKey) {
      await rm(tempPath(tempKey), { force: true })
    },

    async openRead (key, range) {
      let handle
      try {
        handle = await open(finalPath(key), 'r')
      } catch (error) {
        if (isMissing(error)) throw new StoredObjectMissingError(key)
        throw error
      }
      // The stream owns the handle and closes it at the end, on error and when destroyed.
      return handle.createReadStream(range === undefined ? {} : { start: range.start, end: range.end })
    },

    async stat (key) {
      try {
        const info = await stat(finalPath(key))
        return { size: info.size }
      } catch (error) {
        if (isMissing(error)) return undefined
        throw error
      }
    },

    async remove (key) {
      await rm(finalPath(key), { force: true })
    },

    async sweepTemporary (maxAgeMs) {
      const threshold = Date.now() - maxAgeMs
      let removed = 0
      for (const name of await readdir(tempRoot)) {
        if (!keyPattern.test(name)) continue
        const path = join(tempRoot, name)
        const info = await stat(path).catch(() => undefined)
        if (info !== undefined && info.mtimeMs < threshold) {
          await rm(path, { force: true })
          removed++
        }
      }
      return removed
    },

    async * listKeys (minAgeMs) {
      const threshold = Date.now() - minAgeMs
      const directory = await opendir(root)
      let batch: string[] = []
      for await (const entry of directory) {
        if (!entry.isFile() || !keyPattern.test(entry.name)) continue
        const info = await stat(join(root, entry.name)).catch(() => undefined)
        if (info === undefined || info.mtimeMs >= threshold) continue
        batch.push(entry.name)
        if (batch.length === 500) {
          yield batch
          batch = []
        }
      }
      if (batch.length > 0) yield batch
    }
  }
}

/** Temporary uploads, and bytes without a row, older than this were left by a crash, not by an upload in progress. */
export const staleUploadMs = 60 * 60 * 1000

declare module 'fastify' {
  interface FastifyInstance {
    fileStorage: FileStorage
  }
}

/** `app.fileStorage`: the local disk under `UPLOAD_DIR`, ready, and rid of uploads a crash left behind. */
export default fp(async function fileStoragePlugin (app) {
  const storage = createLocalDiskStorage(app.config.UPLOAD_DIR)
  await storage.init()
  const swept = await storage.sweepTemporary(staleUploadMs)
  if (swept > 0) app.log.info({ count: swept }, 'removed stale temporary uploads')
  app.decorate('fileStorage', storage)
}, { name: 'file-storage', dependencies: ['config'] })
