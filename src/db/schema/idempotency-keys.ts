import { sql } from 'drizzle-orm'
import { char, check, index, json, mediumtext, mysqlEnum, mysqlTable, primaryKey, smallint, varchar } from 'drizzle-orm/mysql-core'
import { instant } from './columns.js'

/** `in_progress`: a request holds the key (its `claim_id`); `done`: its answer is stored for replay. */
export const idempotencyStatuses = ['in_progress', 'done'] as const

/**
 * The `Idempotency-Key`s of writes, per caller (`user:<id>`, or `ip:<sha256 of the address>` for
 * anonymous routes). The key is kept as its SHA-256, so keys differing only in case stay apart
 * whatever the collation. A done row is the answer a retry gets; it is written in the transaction of
 * the change wherever the route records it there.
 */
export const idempotencyKeys = mysqlTable('idempotency_keys', {
  scope: varchar({ length: 80 }).notNull(),
  keyHash: char({ length: 64 }).notNull(),
  // Which request holds the key: a request only completes or frees a claim of its own.
  claimId: char({ length: 36 }).notNull(),
  fingerprint: char({ length: 64 }).notNull(),
  status: mysqlEnum(idempotencyStatuses).notNull().default('in_progress'),
  responseStatus: smallint({ unsigned: true }),
  responseHeaders: json().$type<Record<string, string>>(),
  responseBody: mediumtext(),
  createdAt: instant().notNull(),
  expiresAt: instant().notNull()
}, (table) => [
  primaryKey({ columns: [table.scope, table.keyHash] }),
  index('idempotency_keys_expires_idx').on(table.expiresAt),
  check('idempotency_keys_answer_iff_done', sql`(${table.status} = 'done') = (${table.responseStatus} is not null and ${table.responseBody} is not null)`)
])

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect
