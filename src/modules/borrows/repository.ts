import { and, count, desc, eq, gte, isNotNull, isNull, like, lt, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { affectedRows, containsPattern, retryOnDeadlock, type Executor, type Transaction } from '../../db/query-helpers.js'
import { authors, books, borrows, users } from '../../db/schema/index.js'
import { ApiError, notFound } from '../../lib/problem.js'
import type { Mailer } from '../../plugins/mail.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import type { Window } from '../../schemas/instants.js'
import { activeBook, activeBookExists, ownsOrAdmin, type Caller } from '../catalogue/index.js'
import { fulfilReadyHold, lockBookCopies, promoteWaitingHolds, type ShelfRules } from '../holds/index.js'
import type { BorrowStatus, BorrowView } from './schemas.js'

/** The columns of a `BorrowView`: select from `borrows` inner-joined with `books` and `authors`. */
export const borrowViewColumns = {
  id: borrows.id,
  bookId: books.id,
  title: books.title,
  genre: books.genre,
  authorId: authors.id,
  authorName: authors.name,
  borrowedAt: borrows.borrowedAt,
  dueAt: borrows.dueAt,
  returnedAt: borrows.returnedAt,
  renewalCount: borrows.renewalCount
}

/** `borrows` ⋈ `books` ⋈ `authors`, selecting `borrowViewColumns`. */
const selectBorrowViews = (db: Executor) => db.select(borrowViewColumns).from(borrows)
  .innerJoin(books, eq(books.id, borrows.bookId))
  .innerJoin(authors, eq(authors.id, books.authorId))

type BorrowViewRow = Awaited<ReturnType<typeof selectBorrowViews>>[number]

export function toBorrowView (row: BorrowViewRow, now = new Date()): BorrowView {
  return {
    id: row.id,
    book: { id: row.bookId, title: row.title, genre: row.genre, author: { id: row.authorId, name: row.authorName } },
    borrowedAt: row.borrowedAt.toISOString(),
    dueAt: row.dueAt.toISOString(),
    returnedAt: row.returnedAt === null ? null : row.returnedAt.toISOString(),
    isReturned: row.returnedAt !== null,
    overdue: row.returnedAt === null && row.dueAt < now,
    renewalCount: row.renewalCount
  }
}

export async function findBorrowView (db: Executor, id: number) {
  const [row] = await selectBorrowViews(db).where(eq(borrows.id, id))
  return row
}

/** A borrow as its borrower or an admin may read it; anyone else's is not found (one query, no existence leak). */
export async function findBorrowViewFor (db: Executor, id: number, caller: Caller) {
  const mine = caller.role === 'admin' ? undefined : eq(borrows.userId, caller.userId)
  const [row] = await selectBorrowViews(db).where(and(eq(borrows.id, id), mine))
  return row
}

export interface BorrowRules {
  maxOpenBorrows: number
  loanDays: number
}

/**
 * Borrows a copy in one transaction. The user's row is locked first, so one user's borrows run one
 * at a time and the open-borrow count cannot be raced; then the book's, so the hold shelf and the
 * queue cannot change under it. A ready hold of the caller's on the book is fulfilled, its copy moving
 * from the hold shelf to the loans; otherwise the copy is taken from the shelf by a conditional UPDATE
 * (the database refuses to go below zero; copies on the hold shelf are not on it). The unique key on
 * (user, open book) refuses a second open borrow of the same book, rolling the copy back. `answer`
 * makes the reply inside the transaction, so an idempotent request's stored answer commits with the borrow.
 */
export async function borrowBook<T> (db: Database, userId: number, bookId: number, { maxOpenBorrows, loanDays }: BorrowRules, answer: (tx: Transaction, borrowId: number) => Promise<T>): Promise<T> {
  if (!await activeBookExists(db, bookId)) throw notFound('Book')
  return await retryOnDeadlock(() => db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update')
    await lockBookCopies(tx, bookId)
    // The first plain read of the transaction, so its snapshot is taken after the locks were granted.
    const [open] = await tx.select({
      total: count(),
      sameBook: sql<string | number | null>`sum(${borrows.bookId} = ${bookId})`
    }).from(borrows).where(and(eq(borrows.userId, userId), isNull(borrows.returnedAt)))
    if (Number(open?.sameBook ?? 0) > 0) throw new ApiError('ALREADY_BORROWED', 'You already have this book on loan')
    if ((open?.total ?? 0) >= maxOpenBorrows) {
      throw new ApiError('BORROW_LIMIT_REACHED', `You may have at most ${maxOpenBorrows} books on loan at once; return one first`)
    }
    const borrowedAt = new Date()
    if (!await fulfilReadyHold(tx, userId, bookId, borrowedAt)) await takeFromShelf(tx, bookId)
    const dueAt = new Date(borrowedAt.getTime() + loanDays * 86_400_000)
    const [row] = await tx.insert(borrows).values({ userId, bookId, borrowedAt, dueAt }).$returningId()
    if (row === undefined) throw new Error('borrow insert returned no id')
    return await answer(tx, row.id)
  }))
}

async function takeFromShelf (tx: Transaction, bookId: number): Promise<void> {
  const taken = await tx.update(books)
    .set({ availableCopies: sql`${books.availableCopies} - 1`, borrowedCopies: sql`${books.borrowedCopies} + 1` })
    .where(and(activeBook(bookId), sql`${books.availableCopies} > 0`))
  if (affectedRows(taken) === 0) {
    if (!await activeBookExists(tx, bookId)) throw notFound('Book')
    throw new ApiError('NO_COPIES_AVAILABLE', 'No copy of this book is on the shelf right now')
  }
}

/**
 * Returns a borrow (by its borrower, or any admin) in one transaction that locks the book's row first:
 * the conditional UPDATE marks it returned only while it is open (a second, concurrent return finds no
 * row), then the copy goes back on the shelf, and on to the hold shelf when someone waits for it (their
 * email is queued in the same transaction). Someone else's borrow is not found, so its existence does
 * not leak. `answer` makes the reply inside the transaction (as borrowBook's does), so what a retry
 * replays commits with the change.
 */
export async function returnBorrow<T> (db: Database, mailer: Mailer, borrowId: number, caller: Caller, rules: ShelfRules, answer: (tx: Transaction) => Promise<T>): Promise<T> {
  const [borrow] = await db.select({ userId: borrows.userId, bookId: borrows.bookId, returnedAt: borrows.returnedAt })
    .from(borrows).where(eq(borrows.id, borrowId))
  if (borrow === undefined || !ownsOrAdmin(caller, borrow.userId)) throw notFound('Borrow')
  const alreadyReturned = () => new ApiError('ALREADY_RETURNED', 'This borrow has already been returned')
  if (borrow.returnedAt !== null) throw alreadyReturned()
  return await retryOnDeadlock(() => mailer.transaction(async (tx, queue) => {
    await lockBookCopies(tx, borrow.bookId)
    const now = new Date()
    const marked = await tx.update(borrows).set({ returnedAt: now })
      .where(and(eq(borrows.id, borrowId), isNull(borrows.returnedAt)))
    if (affectedRows(marked) === 0) throw alreadyReturned()
    await tx.update(books)
      .set({ availableCopies: sql`${books.availableCopies} + 1`, borrowedCopies: sql`${books.borrowedCopies} - 1` })
      .where(eq(books.id, borrow.bookId))
    await promoteWaitingHolds(tx, queue, borrow.bookId, rules, now)
    return await answer(tx)
  }))
}

/** The user's open borrow of a book (the unique key on user and open book finds it). */
export async function findOpenBorrowId (db: Executor, userId: number, bookId: number): Promise<number | undefined> {
  const [row] = await db.select({ id: borrows.id }).from(borrows)
    .where(and(eq(borrows.userId, userId), eq(borrows.openBookId, bookId)))
  return row?.id
}

export interface BorrowFilters {
  userId?: number | undefined
  bookId?: number | undefined
  status: BorrowStatus
  genre?: string | undefined
  authorId?: number | undefined
  author?: string | undefined
  window: Window
}

/** The WHERE conditions of the borrow lists (history and admin), over borrows ⋈ books ⋈ authors. */
function borrowConditions (filters: BorrowFilters, now = new Date()): SQL | undefined {
  const conditions: Array<SQL | undefined> = [
    filters.userId === undefined ? undefined : eq(borrows.userId, filters.userId),
    filters.bookId === undefined ? undefined : eq(borrows.bookId, filters.bookId),
    filters.genre === undefined ? undefined : eq(books.genre, filters.genre),
    filters.authorId === undefined ? undefined : eq(books.authorId, filters.authorId),
    filters.author === undefined ? undefined : like(authors.name, containsPattern(filters.author)),
    filters.window.from === undefined ? undefined : gte(borrows.borrowedAt, filters.window.from),
    filters.window.to === undefined ? undefined : lt(borrows.borrowedAt, filters.window.to)
  ]
  switch (filters.status) {
    case 'open': conditions.push(isNull(borrows.returnedAt)); break
    case 'returned': conditions.push(isNotNull(borrows.returnedAt)); break
    case 'overdue': conditions.push(isNull(borrows.returnedAt), lt(borrows.dueAt, now)); break
    case 'all': break
  }
  return and(...conditions)
}

/** Whether the filters look at the book or its author (otherwise a count needs `borrows` alone). */
function needsBookJoin (filters: BorrowFilters): boolean {
  return filters.genre !== undefined || filters.authorId !== undefined || filters.author !== undefined
}

/**
 * The ids of one page of borrows, newest first, as a derived table: paging over `borrows` alone (an
 * index on borrowed_at, or on user_id/book_id + borrowed_at, read backwards) and joining the page's
 * few rows afterwards keeps the optimizer from joining every borrow before sorting.
 */
export function borrowPageIds (db: Executor, filters: BorrowFilters, pagination: Pagination, now = new Date()) {
  const where = borrowConditions(filters, now)
  const base = needsBookJoin(filters)
    ? db.select({ pageId: sql<number>`${borrows.id}`.as('page_id') }).from(borrows)
      .innerJoin(books, eq(books.id, borrows.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .where(where)
    : db.select({ pageId: sql<number>`${borrows.id}`.as('page_id') }).from(borrows).where(where)
  return base
    .orderBy(desc(borrows.borrowedAt), desc(borrows.id))
    .limit(pagination.pageSize)
    .offset(pageOffset(pagination))
    .as('page_ids')
}

/** How many borrows match the filters (joining the books only when a filter looks at them). */
export async function countBorrows (db: Executor, filters: BorrowFilters, now = new Date()): Promise<number> {
  const where = borrowConditions(filters, now)
  const [row] = needsBookJoin(filters)
    ? await db.select({ total: count() }).from(borrows)
      .innerJoin(books, eq(books.id, borrows.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .where(where)
    : await db.select({ total: count() }).from(borrows).where(where)
  return row?.total ?? 0
}

/** One page of borrows, newest first, and the total: one query for the rows, one for the count. */
export async function listBorrows (db: Executor, filters: BorrowFilters, pagination: Pagination, now = new Date()) {
  const page = borrowPageIds(db, filters, pagination, now)
  const [rows, total] = await Promise.all([
    db.select(borrowViewColumns).from(page)
      .innerJoin(borrows, eq(borrows.id, page.pageId))
      .innerJoin(books, eq(books.id, borrows.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .orderBy(desc(borrows.borrowedAt), desc(borrows.id)),
    countBorrows(db, filters, now)
  ])
  return { rows, total }
}
