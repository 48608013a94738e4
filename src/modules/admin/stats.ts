import { and, asc, count, desc, eq, gte, isNotNull, lt, sql, type AnyColumn, type SQL } from 'drizzle-orm'
import { authors, books, borrows, users } from '../../db/schema/index.js'
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

/**
 * The borrowing statistics of a window, four aggregate queries run side by side, each served by an
 * index: borrows made in the window by `borrowed_at` (count, and grouped by book and by user through
 * the (book_id, borrowed_at) and (user_id, borrowed_at) indexes, joined to their names only for the
 * top rows), returns in the window by `returned_at` (count and average duration together).
 */
export async function borrowStats (db: Executor, window: Window, limit: number): Promise<Stats> {
  const borrowedInWindow = within(borrows.borrowedAt, window)

  const topBookCounts = db.select({ bookId: borrows.bookId, borrowCount: count().as('borrow_count') })
    .from(borrows).where(borrowedInWindow)
    .groupBy(borrows.bookId)
    .orderBy(desc(sql`borrow_count`), asc(borrows.bookId))
    .limit(limit)
    .as('top_books')
  const topUserCounts = db.select({ userId: borrows.userId, borrowCount: count().as('borrow_count') })
    .from(borrows).where(borrowedInWindow)
    .groupBy(borrows.userId)
    .orderBy(desc(sql`borrow_count`), asc(borrows.userId))
    .limit(limit)
    .as('top_users')

  const [[made], [returned], topBooks, topBorrowers] = await Promise.all([
    db.select({ borrowCount: count() }).from(borrows).where(borrowedInWindow),
    db.select({
      returnedCount: count(),
      averageSeconds: sql<string | number | null>`avg(timestampdiff(second, ${borrows.borrowedAt}, ${borrows.returnedAt}))`
    }).from(borrows).where(and(isNotNull(borrows.returnedAt), within(borrows.returnedAt, window))),
    db.select({
      bookId: topBookCounts.bookId,
      title: books.title,
      authorId: authors.id,
      authorName: authors.name,
      borrowCount: topBookCounts.borrowCount
    }).from(topBookCounts)
      .innerJoin(books, eq(books.id, topBookCounts.bookId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .orderBy(desc(topBookCounts.borrowCount), asc(topBookCounts.bookId)),
    db.select({
      userId: topUserCounts.userId,
      email: users.email,
      username: users.username,
      borrowCount: topUserCounts.borrowCount
    }).from(topUserCounts)
      .innerJoin(users, eq(users.id, topUserCounts.userId))
      .orderBy(desc(topUserCounts.borrowCount), asc(topUserCounts.userId))
  ])

  const sampleSize = returned?.returnedCount ?? 0
  const average = returned?.averageSeconds === null || returned?.averageSeconds === undefined ? null : Number(returned.averageSeconds)
  const seconds = average === null || sampleSize === 0 ? null : Math.round(average)
  return {
    period: {
      from: window.from === undefined ? null : window.from.toISOString(),
      to: window.to === undefined ? null : window.to.toISOString()
    },
    borrowCount: made?.borrowCount ?? 0,
    returnedCount: sampleSize,
    topBooks: topBooks.map((row) => ({
      book: { id: row.bookId, title: row.title },
      author: { id: row.authorId, name: row.authorName },
      borrowCount: Number(row.borrowCount)
    })),
    topBorrowers: topBorrowers.map((row) => ({
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
