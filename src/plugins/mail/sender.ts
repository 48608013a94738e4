import { setTimeout as delay } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import type { OutboxRow } from '../../db/schema/index.js'
import { claimDue, markFailed, markSent, nextDueAt, releaseClaims, scheduleRetry } from './outbox.js'
import type { Delivery, Transport } from './transports.js'

export interface SenderOptions {
  db: Database
  transport: Transport
  log: FastifyBaseLogger
  ratePerSecond: number
  retryBaseMs: number
  giveUpMs: number
  leaseMs: number
}

/** Without a wake-up (another instance's mail, a lost wake-up), the outbox is looked at this often. */
const pollMs = 5000
const maxBackoffMs = 10 * 60 * 1000

/** Waits `ms`, or less if `signal` aborts first; timers never keep the process alive. */
async function pause (ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return
  await delay(ms, undefined, { signal, ref: false }).catch(() => {})
}

/** Exponential backoff with jitter: between half and all of base · 2^(tries − 1), capped. */
export function backoffMs (baseMs: number, tries: number): number {
  const ceiling = Math.min(maxBackoffMs, baseMs * 2 ** Math.max(0, tries - 1))
  return ceiling / 2 + Math.random() * ceiling / 2
}

/**
 * The outbox sender of one instance: claims due emails in small batches, starts at most
 * `ratePerSecond` sends a second, records each outcome, and sleeps until the next email falls due,
 * a wake-up, or the poll interval.
 */
export function createSender ({ db, transport, log, ratePerSecond, retryBaseMs, giveUpMs, leaseMs }: SenderOptions) {
  const stop = new AbortController()
  let wakeUp = new AbortController()
  let idleWaiters: Array<() => void> = []
  let running: Promise<void> | undefined
  // Sends start one interval apart, and not before a provider's Retry-After has passed.
  const intervalMs = transport.paced ? 1000 / ratePerSecond : 0
  let nextStartAt = 0
  let pausedUntil = 0
  const batchSize = Math.max(1, Math.ceil(ratePerSecond))

  async function settle (row: OutboxRow, delivery: Delivery): Promise<void> {
    const now = new Date()
    const outbox = { id: row.id, kind: row.kind, to: row.recipient, attempts: row.attempts + 1 }
    if (delivery.outcome === 'sent') {
      await markSent(db, row.id, delivery.providerId, now)
      log.info({ outbox, emailId: delivery.providerId }, 'email sent')
      return
    }
    if (delivery.outcome === 'retry') {
      if (delivery.retryAfterMs !== undefined) pausedUntil = Math.max(pausedUntil, now.getTime() + delivery.retryAfterMs)
      const next = new Date(now.getTime() + (delivery.retryAfterMs ?? backoffMs(retryBaseMs, row.attempts + 1)))
      if (next.getTime() - row.createdAt.getTime() <= giveUpMs) {
        await scheduleRetry(db, row.id, next, delivery.error)
        log.warn({ outbox, error: delivery.error, nextAttemptAt: next }, 'email not sent yet; will retry')
        return
      }
    }
    await markFailed(db, row.id, delivery.error)
    log.error({ outbox, error: delivery.error }, 'email given up: marked failed')
  }

  async function deliverOne (row: OutboxRow): Promise<void> {
    let delivery: Delivery
    try {
      delivery = await transport.deliver(row)
    } catch (error) {
      delivery = { outcome: 'retry', error: error instanceof Error ? error.message : String(error) }
    }
    // A failed update leaves the row claimed: it is tried again once the lease ends, with the same key.
    await settle(row, delivery).catch((error: unknown) => log.warn({ err: error, outbox: { id: row.id } }, 'recording an email outcome failed'))
  }

  /**
   * Starts the batch's sends at the pace; the rest of the batch goes back untried when the app stops
   * or the provider asked to wait (so no lease runs out while a row waits here).
   */
  async function deliverBatch (rows: OutboxRow[]): Promise<void> {
    const sending: Array<Promise<void>> = []
    try {
      for (const [index, row] of rows.entries()) {
        const startAt = Math.max(Date.now(), nextStartAt)
        if (pausedUntil <= Date.now()) await pause(startAt - Date.now(), stop.signal)
        if (stop.signal.aborted || pausedUntil > Date.now()) {
          await releaseClaims(db, rows.slice(index).map((r) => r.id), new Date(Math.max(Date.now(), pausedUntil)))
          return
        }
        nextStartAt = startAt + intervalMs
        sending.push(deliverOne(row))
      }
    } finally {
      await Promise.all(sending)
    }
  }

  /** How long to sleep: until the next email falls due, at most the poll interval. */
  async function untilNextDue (): Promise<number> {
    const at = await nextDueAt(db)
    return at === undefined ? pollMs : Math.min(pollMs, Math.max(0, at.getTime() - Date.now()))
  }

  async function run (): Promise<void> {
    while (!stop.signal.aborted) {
      if (wakeUp.signal.aborted) wakeUp = new AbortController()
      const signal = AbortSignal.any([stop.signal, wakeUp.signal])
      try {
        const now = Date.now()
        const rows = await claimDue(db, batchSize, new Date(now), new Date(now + leaseMs))
        if (rows.length > 0) {
          await deliverBatch(rows)
          continue
        }
        if (signal.aborted) continue
        for (const resolve of idleWaiters) resolve()
        idleWaiters = []
        await pause(await untilNextDue(), signal)
      } catch (error) {
        log.warn({ err: error }, 'email outbox not reachable; trying again')
        await pause(pollMs, signal)
      }
    }
  }

  return {
    start () { running ??= run() },
    /** Looks at the outbox now: called once a transaction that wrote mail has committed. */
    wake () { wakeUp.abort() },
    /** Resolves once the sender found nothing due and has nothing in flight (at once when stopped). */
    async idle (): Promise<void> {
      if (running === undefined || stop.signal.aborted) return
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve)
        wakeUp.abort()
      })
    },
    /** Claims nothing more; sends in flight finish and rows claimed but not started go back at once. */
    async stop (): Promise<void> {
      stop.abort()
      await running
      for (const resolve of idleWaiters) resolve()
      idleWaiters = []
    }
  }
}

export type Sender = ReturnType<typeof createSender>
