import { mkdir, open, opendir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { checkKey, keyPattern, newStorageKey, StoredObjectMissingError, type FileStorage } from './storage.js'

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
