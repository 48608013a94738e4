import fp from 'fastify-plugin'
import { Resend } from 'resend'
import type { Database } from '../db/client.js'
import type { Transaction } from '../db/query-helpers.js'
import type { OutboxStatus } from '../db/schema/index.js'
import type { Pagination } from '../schemas/common.js'
import { countByStatus, insertOutboxRow, listByStatus, purgeSent, type Backlog, type OutboxMessage } from './mail/outbox.js'
import { createSender } from './mail/sender.js'
import { logTransport, resendTransport } from './mail/transports.js'

/** An email: `kind` names its template, for the outbox and the logs. */
export type MailMessage = OutboxMessage

/** Queues an email on the transaction it was handed with. */
export type QueueMail = (to: string, email: Omit<MailMessage, 'to'>) => Promise<void>

export interface Mailer {
  /**
   * Runs `work` in a transaction whose emails commit with it (or not at all); the sender is woken
   * once it has committed. On `db` when given (a connection the caller holds a lock on), else the pool.
   */
  transaction: <T>(work: (tx: Transaction, queue: QueueMail) => Promise<T>, db?: Database) => Promise<T>
  /** Resolves once nothing is due and nothing is in flight (mail waiting to be retried later is not due). */
  idle: () => Promise<void>
  /** How many emails are in each status (for /ready and metrics). */
  backlog: () => Promise<Backlog>
  /** A page of the emails in one status, newest first (an operator's view of failed mail). */
  list: (status: OutboxStatus, pagination: Pagination) => ReturnType<typeof listByStatus>
  /** Deletes the emails sent more than a week before `now` (housekeeping); returns how many went. */
  purgeSent: (now?: Date) => Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
  }
}

/**
 * `app.mailer`: every email goes through the `email_outbox` table and this instance's sender, which
 * delivers through Resend when `RESEND_API_KEY` is set (the SDK takes its base URL from
 * `RESEND_BASE_URL` when that is in the environment), otherwise to the log. The sender starts with
 * the app; on close it claims nothing more and finishes the sends in flight.
 */
export default fp(async function mailPlugin (app) {
  const { RESEND_API_KEY, MAIL_FROM, MAIL_RATE_PER_SECOND, MAIL_RETRY_BASE_MS, MAIL_GIVE_UP_SECONDS, MAIL_LEASE_SECONDS } = app.config
  const sender = createSender({
    db: app.db,
    transport: RESEND_API_KEY === undefined ? logTransport(app.log) : resendTransport(new Resend(RESEND_API_KEY), MAIL_FROM),
    log: app.log,
    ratePerSecond: MAIL_RATE_PER_SECOND,
    retryBaseMs: MAIL_RETRY_BASE_MS,
    giveUpMs: MAIL_GIVE_UP_SECONDS * 1000,
    leaseMs: MAIL_LEASE_SECONDS * 1000
  })
  app.decorate('mailer', {
    async transaction (work, db = app.db) {
      let queued = false
      const result = await db.transaction(async (tx) => await work(tx, async (to, email) => {
        await insertOutboxRow(tx, { to, ...email })
        queued = true
      }))
      if (queued) sender.wake()
      return result
    },
    idle: sender.idle,
    backlog: async () => await countByStatus(app.db),
    list: async (status, pagination) => await listByStatus(app.db, status, pagination),
    purgeSent: async (now = new Date()) => await purgeSent(app.db, now)
  } satisfies Mailer)
  app.addHook('onReady', async () => { sender.start() })
  app.addHook('onClose', async () => { await sender.stop() })
}, { name: 'mail', dependencies: ['config', 'db'] })
