import { randomUUID } from 'node:crypto'
import { and, asc, count, desc, eq, inArray, lt, lte, min, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { affectedRows, type Executor } from '../../db/query-helpers.js'
import { emailOutbox, outboxStatuses, type OutboxRow, type OutboxStatus } from '../../db/schema/index.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'

export interface OutboxMessage {
  to: string
  kind: string
  subject: string
  text: string
  html: string
}

const due = (now: Date) => and(inArray(emailOutbox.status, ['pending', 'sending']), lte(emailOutbox.nextAttemptAt, now))
const stillClaimed = (id: number) => and(eq(emailOutbox.id, id), eq(emailOutbox.status, 'sending'))
const errorText = (error: string) => error.slice(0, 500)

/** Writes an email to the outbox, on the caller's transaction so it commits (or not) with the change. */
export async function insertOutboxRow (db: Executor, { to, ...message }: OutboxMessage): Promise<void> {
  await db.insert(emailOutbox).values({ ...message, recipient: to, idempotencyKey: randomUUID() })
}

/**
 * Claims up to `limit` due emails: rows another sender has locked are skipped (`SKIP LOCKED`), and
 * the claimed ones are leased until `leaseUntil`, after which any sender may claim them again.
 */
export async function claimDue (db: Database, limit: number, now: Date, leaseUntil: Date): Promise<OutboxRow[]> {
  return await db.transaction(async (tx) => {
    const rows = await tx.select().from(emailOutbox).where(due(now))
      .orderBy(asc(emailOutbox.nextAttemptAt)).limit(limit)
      .for('update', { skipLocked: true })
    if (rows.length === 0) return rows
    await tx.update(emailOutbox).set({ status: 'sending', nextAttemptAt: leaseUntil })
      .where(inArray(emailOutbox.id, rows.map((row) => row.id)))
    return rows
  })
}

/** The update after a try only lands while the row is still claimed: a row already sent stays sent. */
export async function markSent (db: Executor, id: number, providerId: string | null, now: Date): Promise<void> {
  await db.update(emailOutbox)
    .set({ status: 'sent', sentAt: now, providerId, attempts: sql`${emailOutbox.attempts} + 1`, lastError: null })
    .where(stillClaimed(id))
}

export async function scheduleRetry (db: Executor, id: number, nextAttemptAt: Date, error: string): Promise<void> {
  await db.update(emailOutbox)
    .set({ status: 'pending', nextAttemptAt, attempts: sql`${emailOutbox.attempts} + 1`, lastError: errorText(error) })
    .where(stillClaimed(id))
}

export async function markFailed (db: Executor, id: number, error: string): Promise<void> {
  await db.update(emailOutbox)
    .set({ status: 'failed', attempts: sql`${emailOutbox.attempts} + 1`, lastError: errorText(error) })
    .where(stillClaimed(id))
}

/** Hands claimed rows back untried (shutdown, or a provider asking to wait), due at `at`. */
export async function releaseClaims (db: Executor, ids: number[], at: Date): Promise<void> {
  if (ids.length === 0) return
  await db.update(emailOutbox).set({ status: 'pending', nextAttemptAt: at })
    .where(and(inArray(emailOutbox.id, ids), eq(emailOutbox.status, 'sending')))
}

/** When the next unsent email falls due (a lease's end for a claimed one); undefined when none waits. */
export async function nextDueAt (db: Executor): Promise<Date | undefined> {
  const [row] = await db.select({ at: min(emailOutbox.nextAttemptAt) }).from(emailOutbox)
    .where(inArray(emailOutbox.status, ['pending', 'sending']))
  return row?.at ?? undefined
}

export type Backlog = Record<OutboxStatus, number>

/** How many emails are in each status. */
export async function countByStatus (db: Executor): Promise<Backlog> {
  const rows = await db.select({ status: emailOutbox.status, count: count() }).from(emailOutbox).groupBy(emailOutbox.status)
  const backlog = Object.fromEntries(outboxStatuses.map((status) => [status, 0])) as Backlog
  for (const row of rows) backlog[row.status] = row.count
  return backlog
}

/** The emails in one status, newest first, a page of them (what an operator reads to see what went wrong). */
export async function listByStatus (db: Executor, status: OutboxStatus, pagination: Pagination) {
  const items = await db.select({
    id: emailOutbox.id,
    kind: emailOutbox.kind,
    recipient: emailOutbox.recipient,
    subject: emailOutbox.subject,
    status: emailOutbox.status,
    attempts: emailOutbox.attempts,
    lastError: emailOutbox.lastError,
    nextAttemptAt: emailOutbox.nextAttemptAt,
    sentAt: emailOutbox.sentAt,
    createdAt: emailOutbox.createdAt
  }).from(emailOutbox).where(eq(emailOutbox.status, status)).orderBy(desc(emailOutbox.id))
    .limit(pagination.pageSize).offset(pageOffset(pagination))
  const [counted] = await db.select({ total: count() }).from(emailOutbox).where(eq(emailOutbox.status, status))
  return { items, total: counted?.total ?? 0 }
}

export type OutboxListItem = Awaited<ReturnType<typeof listByStatus>>['items'][number]

/** How long a sent email is kept (to answer "did it go out?"); failed ones stay until an operator acts. */
export const sentEmailRetentionMs = 7 * 24 * 60 * 60 * 1000

/** Deletes the emails sent more than the retention before `now`; returns how many went. */
export async function purgeSent (db: Executor, now: Date): Promise<number> {
  const before = new Date(now.getTime() - sentEmailRetentionMs)
  const result = await db.delete(emailOutbox).where(and(eq(emailOutbox.status, 'sent'), lt(emailOutbox.sentAt, before)))
  return affectedRows(result)
}
