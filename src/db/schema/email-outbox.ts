import { sql } from 'drizzle-orm'
import { char, check, index, mysqlEnum, mysqlTable, smallint, text, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { createdAt, id, instant, now, updatedAt } from './columns.js'

/**
 * `pending`: due at `next_attempt_at`. `sending`: claimed by a sender until `next_attempt_at` (its
 * lease); past that, any sender may claim it again. `sent` and `failed` are final.
 */
export const outboxStatuses = ['pending', 'sending', 'sent', 'failed'] as const

/**
 * Every email, written in the transaction of the change that causes it and delivered by the sender
 * of any instance. `idempotency_key` goes to the provider with every try, so a retry never delivers twice.
 */
export const emailOutbox = mysqlTable('email_outbox', {
  id: id(),
  idempotencyKey: char({ length: 36 }).notNull(),
  kind: varchar({ length: 40 }).notNull(),
  recipient: varchar({ length: 254 }).notNull(),
  subject: varchar({ length: 255 }).notNull(),
  text: text().notNull(),
  html: text().notNull(),
  status: mysqlEnum(outboxStatuses).notNull().default('pending'),
  attempts: smallint({ unsigned: true }).notNull().default(0),
  nextAttemptAt: now(),
  lastError: varchar({ length: 500 }),
  providerId: varchar({ length: 100 }),
  sentAt: instant(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  uniqueIndex('email_outbox_idempotency_key_unique').on(table.idempotencyKey),
  index('email_outbox_due_idx').on(table.status, table.nextAttemptAt),
  index('email_outbox_sent_idx').on(table.sentAt),
  check('email_outbox_sent_at_iff_sent', sql`(${table.status} = 'sent') = (${table.sentAt} is not null)`)
])

export type OutboxRow = typeof emailOutbox.$inferSelect
export type OutboxStatus = OutboxRow['status']
