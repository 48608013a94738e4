import { and, asc, count, desc, eq, gt, gte, isNotNull, lt, sql, type AnyColumn, type SQL } from 'drizzle-orm'
import { authors, books, borrows, holds, users } from '../../db/schema/index.js'
import type { Executor } from '../../db/query-helpers.js'
import type { Window } from '../../schemas/instants.js'
import type { Stats } from './schemas.js'

function within (column: AnyColumn, { from, to }: Window): SQL | undefined {
  return and(
    from === undefined ? undefined : gte(column, from),
    to === undefined ? undefined : lt(column, to)
  )
}

const secondsPerDay = 86_400

interface Figures {
  borrowCount: number
  returnedCount: number
  /** Whole seconds (TIMESTAMPDIFF) summed over the returned borrows. */
  returnedSeconds: number
  topBooks: { bookId: number, title: string, authorId: number, authorName: string, borrowCount: number | string }[]
  topBorrowers: { userId: number, email: string, username: string | null, borrowCount: number | string }[]
}

/**
 * All time, from the totals that triggers on `borrows` keep on every user and book: one pass over a
 * covering index of the books for the sums, the top lists read in (borrow_count desc, id) index
 * order, `limit` entries each.
 */
async function allTimeFigures (db: Executor, limit: number): Promise<Figures> {
  const [[totals], topBooks, topBorrowers] = await Promise.all([
    db.select({
      made: sql<string | null>`sum(${books.borrowCount})`,
      returned: sql<string | null>`sum(${books.returnedCount})`,
      seconds: sql<string | null>`sum(${books.returnedSeconds})`
    }).from(books),
    db.select({ bookId: books.id, title: books.title, authorId: authors.id, authorName: authors.name, borrowCount: books.borrowCount })
      .from(books).innerJoin(authors, eq(authors.id, books.authorId))
      .where(gt(books.borrowCount, 0))
      .orderBy(desc(books.borrowCount), asc(books.id))
      .limit(limit),
    db.select({ userId: users.id, email: users.email, username: users.username, borrowCount: users.borrowCount })
      .from(users)
      .where(gt(users.borrowCount, 0))
      .orderBy(desc(users.borrowCount), asc(users.id))
      .limit(limit)
  ])
  return {
    borrowCount: Number(totals?.made ?? 0),
    returnedCount: Number(totals?.returned ?? 0),
    returnedSeconds: Number(totals?.seconds ?? 0),
    topBooks,
    topBorrowers
  }
}

/**
 * A window, from the borrows in it, each query a range of a covering index: borrows made by
 * `borrowed_at` (count, and grouped by book and by user through (borrowed_at, book_id, user_id), joined
 * to their names only for the top rows), returns by `returned_at` (count and summed duration together).
 */
async function windowFigures (db: Executor, window: Window, limit: number): Promise<Figures> {
  const borrowedInWindow = within(borrows.borrowedAt, window)
  const topCounts = (key: typeof borrows.bookId | typeof borrows.userId, alias: string) =>
    db.select({ id: sql<number>`${key}`.as('counted_id'), borrowCount: count().as('made_count') })
      .from(borrows).where(borrowedInWindow)
      .groupBy(key)
      .orderBy(desc(sql`made_count`), asc(key))
      .limit(limit)
      .as(alias)
  const topBookCounts = topCounts(borrows.bookId, 'top_books')
  const topUserCounts = topCounts(borrows.userId, 'top_users')

  const [[made], [returned], topBooks, topBorrowers] = await Promise.all([
    db.select({ borrowCount: count() }).from(borrows).where(borrowedInWindow),
    db.select({
      returnedCount: count(),
      seconds: sql<string | null>`sum(timestampdiff(second, ${borrows.borrowedAt}, ${borrows.returnedAt}))`
    }).from(borrows).where(and(isNotNull(borrows.returnedAt), within(borrows.returnedAt, window))),
    db.select({
      bookId: topBookCounts.id,
      title: books.title,
      authorId: authors.id,
      authorName: authors.name,
      borrowCount: topBookCounts.borrowCount
    }).from(topBookCounts)
      .innerJoin(books, eq(books.id, topBookCounts.id))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .orderBy(desc(topBookCounts.borrowCount), asc(topBookCounts.id)),
    db.select({
      userId: topUserCounts.id,
      email: users.email,
      username: users.username,
      borrowCount: topUserCounts.borrowCount
    }).from(topUserCounts)
      .innerJoin(users, eq(users.id, topUserCounts.id))
      .orderBy(desc(topUserCounts.borrowCount), asc(topUserCounts.id))
  ])
  return {
    borrowCount: made?.borrowCount ?? 0,
    returnedCount: returned?.returnedCount ?? 0,
    returnedSeconds: Number(returned?.seconds ?? 0),
    topBooks,
    topBorrowers
  }
}

/**
 * Renewals and holds of a window: the renewals of the borrows made in it (a borrow carries its count,
 * not a row per renewal; all time, the per-user totals the triggers keep) and the holds placed in it
 * (the `created_at` index of `holds`).
 */
async function circulationFigures (db: Executor, window: Window) {
  const allTime = window.from === undefined && window.to === undefined
  const [[renewed], [placed]] = await Promise.all([
    allTime
      ? db.select({ total: sql<string | null>`sum(${users.renewalCount})` }).from(users)
      : db.select({ total: sql<string | null>`sum(${borrows.renewalCount})` }).from(borrows).where(within(borrows.borrowedAt, window)),
    db.select({ total: count() }).from(holds).where(within(holds.createdAt, window))
  ])
  return { renewalCount: Number(renewed?.total ?? 0), holdsPlaced: placed?.total ?? 0 }
}

/**
 * The borrowing statistics of a window: all time from maintained totals, a window from its own rows
 * (see the README on why daily rollups would not be smaller than the rows at this density).
 */
export async function borrowStats (db: Executor, window: Window, limit: number): Promise<Stats> {
  const [figures, circulation] = await Promise.all([
    window.from === undefined && window.to === undefined ? allTimeFigures(db, limit) : windowFigures(db, window, limit),
    circulationFigures(db, window)
  ])
  const sampleSize = figures.returnedCount
  const seconds = sampleSize === 0 ? null : Math.round(figures.returnedSeconds / sampleSize)
  return {
    period: {
      from: window.from === undefined ? null : window.from.toISOString(),
      to: window.to === undefined ? null : window.to.toISOString()
    },
    borrowCount: figures.borrowCount,
    returnedCount: sampleSize,
    ...circulation,
    topBooks: figures.topBooks.map((row) => ({
      book: { id: row.bookId, title: row.title },
      author: { id: row.authorId, name: row.authorName },
      borrowCount: Number(row.borrowCount)
    })),
    topBorrowers: figures.topBorrowers.map((row) => ({
      user: { id: row.userId, email: row.email, username: row.username },
      borrowCount: Number(row.borrowCount)
    })),
    averageBorrowDuration: {
      seconds,
      days: seconds === null ? null : Math.round((seconds / secondsPerDay) * 100) / 100,
      sampleSize
    }
  }
}
