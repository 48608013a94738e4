import type { FastifyBaseLogger } from 'fastify'
import fp from 'fastify-plugin'
import { referencedKeys } from './repository.js'
import { staleUploadMs, type FileStorage } from './storage.js'

/** Waits between attempts to remove bytes whose removal failed: 5 s, 30 s, 2 min, 10 min, then hourly. */
export const defaultRetryDelaysMs = [5_000, 30_000, 120_000, 600_000, 3_600_000]
const maxAttempts = 24

/**
 * Removes stored bytes after their row is gone (or points elsewhere). The client's request has
 * already succeeded by then, so a failure is logged and retried in the background, never reported
 * as an error to the client. Timers do not keep the process alive; `close` stops them.
 */
export class ByteRemover {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private closed = false

  constructor (
    private readonly storage: FileStorage,
    private readonly log: FastifyBaseLogger,
    private readonly delaysMs: readonly number[] = defaultRetryDelaysMs
  ) {}

  /** Keys whose removal has failed and is scheduled again. */
  get pending (): string[] {
    return [...this.timers.keys()]
  }

  /** Tries once now; on failure schedules retries. Never rejects. */
  async remove (key: string): Promise<void> {
    await this.attempt(key, 1)
  }

  private async attempt (key: string, attempt: number): Promise<void> {
    this.timers.delete(key)
    try {
      await this.storage.remove(key)
      if (attempt > 1) this.log.info({ storageKey: key, attempt }, 'removed stored file bytes on retry')
    } catch (error) {
      if (this.closed || attempt >= maxAttempts) {
        this.log.error({ err: error, storageKey: key, attempt }, 'could not remove stored file bytes; giving up')
        return
      }
      const delay = this.delaysMs[Math.min(attempt - 1, this.delaysMs.length - 1)] ?? 60_000
      this.log.warn({ err: error, storageKey: key, attempt, retryInMs: delay }, 'could not remove stored file bytes; will retry')
      const timer = setTimeout(() => { this.attempt(key, attempt + 1).catch(() => {}) }, delay)
      timer.unref()
      this.timers.set(key, timer)
    }
  }

  close (): void {
    this.closed = true
    for (const [key, timer] of this.timers) {
      clearTimeout(timer)
      this.log.error({ storageKey: key }, 'stored file bytes left behind at shutdown; their removal never succeeded')
    }
    this.timers.clear()
  }
}

/**
 * Removes committed bytes that no row points at: left by a crash between storing and saving the
 * row, or by a removal that never succeeded before a restart. Only bytes older than `minAgeMs` are
 * considered, so an upload being saved right now (by this or another instance) is never touched.
 */
export async function sweepOrphans (
  storage: FileStorage,
  referenced: (keys: string[]) => Promise<Set<string>>,
  log: FastifyBaseLogger,
  minAgeMs: number
): Promise<number> {
  let removed = 0
  for await (const keys of storage.listKeys(minAgeMs)) {
    const kept = await referenced(keys)
    for (const key of keys) {
      if (kept.has(key)) continue
      await storage.remove(key)
      removed++
    }
  }
  if (removed > 0) log.info({ count: removed }, 'removed stored file bytes no row points at')
  return removed
}

declare module 'fastify' {
  interface FastifyInstance {
    fileRemover: ByteRemover
  }
}

/**
 * `app.fileRemover`; once serving, a background sweep of the bytes no row points at. Closing the app
 * stops the retries and waits for the sweep.
 */
export default fp(async function fileRemovalPlugin (app) {
  const remover = new ByteRemover(app.fileStorage, app.log)
  app.decorate('fileRemover', remover)
  let orphanSweep: Promise<unknown> = Promise.resolve()
  app.addHook('onReady', async () => {
    orphanSweep = sweepOrphans(app.fileStorage, (keys) => referencedKeys(app.db, keys), app.log, staleUploadMs)
      .catch((error: unknown) => { app.log.warn({ err: error }, 'could not sweep orphaned file bytes') })
  })
  app.addHook('onClose', async () => {
    remover.close()
    await orphanSweep
  })
}, { name: 'file-removal', dependencies: ['db', 'file-storage'] })
