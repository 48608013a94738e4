import { randomUUID } from 'node:crypto'
import type { Readable, Writable } from 'node:stream'

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
 * only use this interface; it has two implementations, the local disk (`local-storage.ts`) and an
 * S3-compatible bucket (`s3-storage.ts`), picked by `STORAGE` in `storage-plugin.ts`.
 */
export interface FileStorage {
  /** Creates what it needs (a directory, a bucket check); called once at start-up. */
  init: () => Promise<void>
  /** A fresh, private place to stream new bytes into; its stream finishes only once they are stored, and destroying it drops them. */
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
export const keyPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function newStorageKey (): string {
  return randomUUID()
}

export function checkKey (key: string): string {
  if (!keyPattern.test(key)) throw new Error('Invalid storage key')
  return key
}

/** Temporary uploads, and bytes without a row, older than this were left by a crash, not by an upload in progress. */
export const staleUploadMs = 60 * 60 * 1000
