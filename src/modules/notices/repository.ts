import { and, asc, eq, gte, inArray, isNull, lt, lte, type SQL } from 'drizzle-orm'
import type { Executor } from '../../db/query-helpers.js'
import { authors, books, borrows, notices, users, type NoticeKind } from '../../db/schema/index.js'
import type { Mailer } from '../../plugins/mail.js'
import { dueSoonEmail, overdueEmail, type BorrowNoticeFacts } from './emails.js'

const dayMs = 86_400_000

/** Which open borrows a kind of notice is for, at `now`: due within `dueSoonDays`, or past due. */
export function dueCondition (kind: NoticeKind, now: Date, dueSoonDays: number): SQL | undefined {
  return kind === 'overdue'
    ? lt(borrows.dueAt, now)
    : and(gte(borrows.dueAt, now), lte(borrows.dueAt, new Date(now.getTime() + dueSoonDays * dayMs)))
}

/**
 * Up to `limit` open borrows owed a notice of `kind`, earliest due first: a range of the
 * (returned_at, due_at) index, so returned borrows are never read, each looked up in the unique key of
 * `notices` (an anti-join; MariaDB materialises a NOT EXISTS here, reading the notices of every past
 * borrow).
 */
export function candidatesQuery (db: Executor, kind: NoticeKind, due: SQL | undefined, limit: number) {
  return db.select({ id: borrows.id }).from(borrows)
    .leftJoin(notices, and(eq(notices.kind, kind), eq(notices.borrowId, borrows.id)))
    .where(and(isNull(borrows.returnedAt), due, isNull(notices.id)))
    .orderBy(asc(borrows.dueAt)).limit(limit)
}

const templates = { due_soon: dueSoonEmail, overdue: overdueEmail } satisfies Record<NoticeKind, (facts: BorrowNoticeFacts) => unknown>

/**
 * Writes the notices of one batch and their emails in one transaction; returns how many it wrote.
 * The borrows are locked first, skipping those another instance (or a return, a renewal) holds, and
 * rechecked, since they may have been returned or renewed since they were picked. A borrow's notices
 * are written only under its lock, so the notices read next (the transaction's first plain read,
 * whose snapshot is taken after the locks were granted) are all there are: what is left is ours alone,
 * and the unique key refuses a second row if that ever stops being true.
 */
export async function writeNotices (mailer: Mailer, kind: NoticeKind, due: SQL | undefined, ids: number[]): Promise<number> {
  return await mailer.transaction(async (tx, queue) => {
    const locked = await tx.select({ id: borrows.id }).from(borrows)
      .where(and(inArray(borrows.id, ids), isNull(borrows.returnedAt), due))
      .for('update', { skipLocked: true })
    if (locked.length === 0) return 0
    const lockedIds = locked.map((row) => row.id)
    const sent = new Set((await tx.select({ borrowId: notices.borrowId }).from(notices)
      .where(and(eq(notices.kind, kind), inArray(notices.borrowId, lockedIds)))).map((row) => row.borrowId))
    const fresh = lockedIds.filter((id) => !sent.has(id))
    if (fresh.length === 0) return 0
    await tx.insert(notices).values(fresh.map((borrowId) => ({ kind, borrowId })))
    const facts = await tx.select({ email: users.email, username: users.username, title: books.title, author: authors.name, dueAt: borrows.dueAt })
      .from(borrows)
      .innerJoin(users, eq(users.id, borrows.userId))
      .innerJoin(books, eq(books.id, borrows.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .where(inArray(borrows.id, fresh))
    for (const { email, ...fact } of facts) await queue(email, templates[kind](fact))
    return fresh.length
  })
}
