import { asc, count, desc, eq, inArray, isNotNull, lte, sql, type SQL } from 'drizzle-orm'
import { authors, books, borrows, users } from '../../db/schema/index.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import { borrowPageIds, borrowViewColumns, countBorrows, toBorrowView, type BorrowFilters } from '../borrows/index.js'
import { bookIsActive, bookViewColumns, toBookView } from '../catalogue/index.js'
import type { Executor } from '../../db/query-helpers.js'
import type { OutboxListItem } from '../../plugins/mail/outbox.js'
import type { AdminBook, AdminBorrow, AdminEmail, BookStatus } from './schemas.js'

function bookStatusCondition (status: BookStatus): SQL | undefined {
  if (status === 'active') return bookIsActive()
  if (status === 'deleted') return isNotNull(books.deletedAt)
  return undefined
}

/**
 * The latest `perBook` borrows of each of the given books, in one query: ROW_NUMBER() over each
 * book's borrows (newest first, served by the (book_id, borrowed_at) index), then the users of the
 * rows kept.
 */
async function latestBorrowers (db: Executor, bookIds: number[], perBook: number) {
  if (bookIds.length === 0 || perBook === 0) return []
  const ranked = db.select({
    borrowId: sql<number>`${borrows.id}`.as('borrow_id'),
    bookId: sql<number>`${borrows.bookId}`.as('ranked_book_id'),
    userId: sql<number>`${borrows.userId}`.as('ranked_user_id'),
    borrowedAt: sql<string>`${borrows.borrowedAt}`.as('ranked_borrowed_at'),
    returnedAt: sql<string | null>`${borrows.returnedAt}`.as('ranked_returned_at'),
    position: sql<number>`row_number() over (partition by ${borrows.bookId} order by ${borrows.borrowedAt} desc, ${borrows.id} desc)`.as('position')
  }).from(borrows).where(inArray(borrows.bookId, bookIds)).as('ranked')
  const rows = await db.select({
    borrowId: ranked.borrowId,
    bookId: ranked.bookId,
    userId: ranked.userId,
    email: users.email,
    username: users.username,
    borrowedAt: ranked.borrowedAt,
    returnedAt: ranked.returnedAt
  }).from(ranked)
    .innerJoin(users, eq(users.id, ranked.userId))
    .where(lte(ranked.position, perBook))
    .orderBy(asc(ranked.bookId), asc(ranked.position))
  return rows.map((row) => ({
    ...row,
    borrowId: Number(row.borrowId),
    bookId: Number(row.bookId),
    userId: Number(row.userId),
    borrowedAt: parseDatabaseInstant(row.borrowedAt),
    returnedAt: row.returnedAt === null ? null : parseDatabaseInstant(row.returnedAt)
  }))
}

/** A DATETIME read through a raw SQL expression arrives as text (`2025-01-31 12:00:00.000`) or a Date. */
function parseDatabaseInstant (value: string | Date): Date {
  if (value instanceof Date) return value
  return new Date(`${value.replace(' ', 'T')}Z`)
}

/**
 * A page of books with each one's borrow count and latest borrowers: one query for the page, one
 * for the total, one grouped count and one windowed query for the borrowers, never one per book.
 */
export async function listAdminBooks (
  db: Executor,
  { status, borrowsPerBook }: { status: BookStatus, borrowsPerBook: number },
  pagination: Pagination
): Promise<{ items: AdminBook[], total: number }> {
  const where = bookStatusCondition(status)
  const [rows, [counted]] = await Promise.all([
    db.select({ ...bookViewColumns, deletedAt: books.deletedAt }).from(books)
      .innerJoin(authors, eq(authors.id, books.authorId))
      .where(where)
      .orderBy(desc(books.createdAt), desc(books.id))
      .limit(pagination.pageSize)
      .offset(pageOffset(pagination)),
    db.select({ total: count() }).from(books).where(where)
  ])
  const bookIds = rows.map((row) => row.id)
  const [borrowCounts, borrowers] = bookIds.length === 0
    ? [[], []]
    : await Promise.all([
      db.select({ bookId: borrows.bookId, borrowCount: count() }).from(borrows)
        .where(inArray(borrows.bookId, bookIds))
        .groupBy(borrows.bookId),
      latestBorrowers(db, bookIds, borrowsPerBook)
    ])
  const countByBook = new Map(borrowCounts.map((row) => [row.bookId, row.borrowCount]))
  const borrowersByBook = new Map<number, typeof borrowers>()
  for (const borrower of borrowers) {
    const list = borrowersByBook.get(borrower.bookId)
    if (list === undefined) borrowersByBook.set(borrower.bookId, [borrower])
    else list.push(borrower)
  }
  const items = rows.map(({ deletedAt, ...row }) => ({
    ...toBookView(row),
    deletedAt: deletedAt === null ? null : deletedAt.toISOString(),
    borrowCount: countByBook.get(row.id) ?? 0,
    borrowers: (borrowersByBook.get(row.id) ?? []).map((borrower) => ({
      borrowId: borrower.borrowId,
      user: { id: borrower.userId, email: borrower.email, username: borrower.username },
      borrowedAt: borrower.borrowedAt.toISOString(),
      returnedAt: borrower.returnedAt === null ? null : borrower.returnedAt.toISOString(),
      isReturned: borrower.returnedAt !== null
    }))
  }))
  return { items, total: counted?.total ?? 0 }
}

/** Every borrow matching the filters, newest first, with its user: one query for rows, one count. */
export async function listAllBorrows (db: Executor, filters: BorrowFilters, pagination: Pagination): Promise<{ items: AdminBorrow[], total: number }> {
  const now = new Date()
  const page = borrowPageIds(db, filters, pagination, now)
  const [rows, total] = await Promise.all([
    db.select({ ...borrowViewColumns, userId: users.id, email: users.email, username: users.username }).from(page)
      .innerJoin(borrows, eq(borrows.id, page.pageId))
      .innerJoin(books, eq(books.id, borrows.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .innerJoin(users, eq(users.id, borrows.userId))
      .orderBy(desc(borrows.borrowedAt), desc(borrows.id)),
    countBorrows(db, filters, now)
  ])
  const items = rows.map(({ userId, email, username, ...row }) => ({
    ...toBorrowView(row, now),
    user: { id: userId, email, username }
  }))
  return { items, total }
}

/** An outbox row as the admin list shows it. */
export function adminEmailView ({ nextAttemptAt, sentAt, createdAt, ...email }: OutboxListItem): AdminEmail {
  return { ...email, nextAttemptAt: nextAttemptAt.toISOString(), sentAt: sentAt === null ? null : sentAt.toISOString(), createdAt: createdAt.toISOString() }
}
