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

/** The `notices` row of this kind for the borrow at hand (a LEFT JOIN's condition: NULL when there is none). */
const noticeOf = (kind: NoticeKind) => and(eq(notices.kind, kind), eq(notices.borrowId, borrows.id))

/**
 * Up to `limit` open borrows owed a notice of `kind`, earliest due first: a range of the
 * (returned_at, due_at) index, so returned borrows are never read, each looked up in the unique key of
 * `notices` (an anti-join; MariaDB materialises a NOT EXISTS here, reading the notices of every past
 * borrow).
 */
export function candidatesQuery (db: Executor, kind: NoticeKind, due: SQL | undefined, limit: number) {
  return db.select({ id: borrows.id }).from(borrows)
    .leftJoin(notices, noticeOf(kind))
    .where(and(isNull(borrows.returnedAt), due, isNull(notices.id)))
    .orderBy(asc(borrows.dueAt)).limit(limit)
}

/** Locks these borrows by primary key (never a range of another index), skipping those locked already. */
export function lockBorrows (db: Executor, ids: number[]) {
  return db.select({ id: borrows.id }).from(borrows).where(inArray(borrows.id, ids)).for('update', { skipLocked: true })
}

const templates = { due_soon: dueSoonEmail, overdue: overdueEmail } satisfies Record<NoticeKind, (facts: BorrowNoticeFacts) => unknown>

/**
 * Writes the notices of one batch and their emails in one transaction; returns how many it wrote.
 * The borrows are locked first by primary key, skipping those another instance (or a return, a
 * renewal) holds. A borrow's notices are written only under its lock, so the next read (the
 * transaction's first plain read, whose snapshot is taken after the locks were granted) sees every
 * notice there is and each borrow as it is now: those still open, due, and without this notice are
 * ours alone. Should that ever not hold, the unique key refuses the second row and the batch rolls back.
 */
export async function writeNotices (mailer: Mailer, kind: NoticeKind, due: SQL | undefined, ids: number[]): Promise<number> {
  return await mailer.transaction(async (tx, queue) => {
    const locked = await lockBorrows(tx, ids)
    if (locked.length === 0) return 0
    const owed = await tx.select({ borrowId: borrows.id, email: users.email, username: users.username, title: books.title, author: authors.name, dueAt: borrows.dueAt })
      .from(borrows)
      .innerJoin(users, eq(users.id, borrows.userId))
      .innerJoin(books, eq(books.id, borrows.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .leftJoin(notices, noticeOf(kind))
      .where(and(inArray(borrows.id, locked.map((row) => row.id)), isNull(borrows.returnedAt), due, isNull(notices.id)))
    if (owed.length === 0) return 0
    await tx.insert(notices).values(owed.map(({ borrowId }) => ({ kind, borrowId })))
    for (const { email, borrowId, ...facts } of owed) await queue(email, templates[kind](facts))
    return owed.length
  })
}
