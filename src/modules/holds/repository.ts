import { and, asc, count, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { retryOnDeadlock, type Executor } from '../../db/query-helpers.js'
import { authors, books, borrows, holds, users } from '../../db/schema/index.js'
import { ApiError, notFound } from '../../lib/problem.js'
import type { Mailer } from '../../plugins/mail.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import { ownsOrAdmin, type Caller } from '../catalogue/index.js'
import type { HoldListStatus, HoldView } from './schemas.js'
import { endHold, lockBookCopies, type ShelfRules } from './shelf.js'

const earlier = sql.raw('earlier')
/** The 1-based place among the book's waiting holds: those of lower id, counted on the (book, status) index. */
const position = sql<number | string | null>`case when ${holds.status} = 'waiting' then (
  select count(*) from ${holds} as ${earlier} where ${earlier}.book_id = ${holds.bookId} and ${earlier}.status = 'waiting' and ${earlier}.id <= ${holds.id}
) end`

const holdViewColumns = {
  id: holds.id,
  bookId: books.id,
  title: books.title,
  authorId: authors.id,
  authorName: authors.name,
  userId: users.id,
  username: users.username,
  status: holds.status,
  position,
  createdAt: holds.createdAt,
  readyAt: holds.readyAt,
  pickupBy: holds.pickupBy,
  endedAt: holds.endedAt
}

const selectHoldViews = (db: Executor) => db.select(holdViewColumns).from(holds)
  .innerJoin(books, eq(books.id, holds.bookId))
  .innerJoin(authors, eq(authors.id, books.authorId))
  .innerJoin(users, eq(users.id, holds.userId))

type HoldViewRow = Awaited<ReturnType<typeof selectHoldViews>>[number]

const iso = (date: Date | null) => date === null ? null : date.toISOString()

function toHoldView (row: HoldViewRow): HoldView {
  return {
    id: row.id,
    book: { id: row.bookId, title: row.title, author: { id: row.authorId, name: row.authorName } },
    user: { id: row.userId, username: row.username },
    status: row.status,
    position: row.position === null ? null : Number(row.position),
    createdAt: row.createdAt.toISOString(),
    readyAt: iso(row.readyAt),
    pickupBy: iso(row.pickupBy),
    endedAt: iso(row.endedAt)
  }
}

/** A hold its holder or an admin may see; 404 for anyone else, so its existence does not leak. */
export async function getHoldView (db: Executor, id: number, caller: Caller): Promise<HoldView> {
  const [row] = await selectHoldViews(db).where(eq(holds.id, id))
  if (row === undefined || !ownsOrAdmin(caller, row.userId)) throw notFound('Hold')
  return toHoldView(row)
}

export interface HoldFilters {
  userId?: number | undefined
  bookId?: number | undefined
  status: HoldListStatus
}

function holdConditions ({ userId, bookId, status }: HoldFilters): SQL | undefined {
  return and(
    userId === undefined ? undefined : eq(holds.userId, userId),
    bookId === undefined ? undefined : eq(holds.bookId, bookId),
    status === 'all' ? undefined : status === 'active' ? inArray(holds.status, ['waiting', 'ready']) : eq(holds.status, status)
  )
}

/** One page of holds, newest first, and the total. */
export async function listHolds (db: Executor, filters: HoldFilters, pagination: Pagination) {
  const where = holdConditions(filters)
  const [rows, [counted]] = await Promise.all([
    selectHoldViews(db).where(where).orderBy(desc(holds.createdAt), desc(holds.id))
      .limit(pagination.pageSize).offset(pageOffset(pagination)),
    db.select({ total: count() }).from(holds).where(where)
  ])
  return { items: rows.map(toHoldView), total: counted?.total ?? 0 }
}

/**
 * Places a hold in one transaction: the user's row is locked first (their active holds cannot be
 * raced past the limit), then the book's (the shelf cannot change under the check, and holds of one
 * book are inserted one at a time, so ids give the queue order). The unique key on (user, active
 * book) refuses a second active hold whatever the path.
 */
export async function placeHold (db: Database, userId: number, bookId: number, maxActiveHolds: number): Promise<number> {
  return await retryOnDeadlock(() => db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update')
    const book = await lockBookCopies(tx, bookId)
    if (book === undefined || book.deletedAt !== null) throw notFound('Book')
    if (book.availableCopies > 0) throw new ApiError('COPIES_AVAILABLE', 'A copy is on the shelf: borrow it instead')
    const [open] = await tx.select({ id: borrows.id }).from(borrows)
      .where(and(eq(borrows.userId, userId), eq(borrows.openBookId, bookId)))
    if (open !== undefined) throw new ApiError('ALREADY_BORROWED', 'You have this book on loan')
    const active = await tx.select({ bookId: holds.bookId }).from(holds)
      .where(and(eq(holds.userId, userId), inArray(holds.status, ['waiting', 'ready'])))
    if (active.some((hold) => hold.bookId === bookId)) throw new ApiError('ALREADY_ON_HOLD', 'You already have an active hold on this book')
    if (active.length >= maxActiveHolds) {
      throw new ApiError('HOLD_LIMIT_REACHED', `You may have at most ${maxActiveHolds} active holds; cancel one first`)
    }
    const [row] = await tx.insert(holds).values({ userId, bookId }).$returningId()
    if (row === undefined) throw new Error('hold insert returned no id')
    return row.id
  }))
}

/** Cancels a hold (its holder or an admin; 404 for anyone else); a ready one hands its copy on. */
export async function cancelHold (db: Executor, mailer: Mailer, id: number, caller: Caller, rules: ShelfRules): Promise<void> {
  const [hold] = await db.select({ userId: holds.userId, bookId: holds.bookId }).from(holds).where(eq(holds.id, id))
  if (hold === undefined || !ownsOrAdmin(caller, hold.userId)) throw notFound('Hold')
  const ended = await retryOnDeadlock(() => mailer.transaction(async (tx, queue) => {
    await lockBookCopies(tx, hold.bookId)
    return await endHold(tx, queue, { id, bookId: hold.bookId }, 'cancelled', rules)
  }))
  if (!ended) throw new ApiError('HOLD_NOT_ACTIVE', 'This hold has already ended')
}

/**
 * Expires the ready holds whose pickup date passed before `now`, in batches read from the
 * (status, pickup_by) index, each in a transaction of its own that locks the book and hands the copy
 * on. Several instances may sweep at once: a hold already ended is skipped. Returns how many expired.
 */
export async function expireReadyHolds (db: Executor, mailer: Mailer, rules: ShelfRules, now = new Date(), batchSize = 100): Promise<number> {
  let expired = 0
  for (;;) {
    const due = await db.select({ id: holds.id, bookId: holds.bookId }).from(holds)
      .where(and(eq(holds.status, 'ready'), lt(holds.pickupBy, now)))
      .orderBy(asc(holds.pickupBy)).limit(batchSize)
    for (const hold of due) {
      const ended = await retryOnDeadlock(() => mailer.transaction(async (tx, queue) => {
        await lockBookCopies(tx, hold.bookId)
        return await endHold(tx, queue, hold, 'expired', rules, now)
      }))
      if (ended) expired++
    }
    if (due.length < batchSize) return expired
  }
}
