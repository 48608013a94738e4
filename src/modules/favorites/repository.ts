import { and, count, desc, eq, sql, type Placeholder } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { authors, books, favorites } from '../../db/schema/index.js'
import { ApiError, notFound } from '../../lib/problem.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import { activeBook, activeBookExists, bookViewColumns, toBookView, type BookViewRow } from '../catalogue/index.js'
import type { FavoriteBook } from './schemas.js'

function favoriteQuery (db: Database, userId: number | Placeholder, bookId?: number) {
  return db.select({ ...bookViewColumns, favoritedAt: favorites.createdAt })
    .from(favorites)
    .innerJoin(books, activeBook(favorites.bookId))
    .innerJoin(authors, eq(authors.id, books.authorId))
    .where(and(eq(favorites.userId, userId), bookId === undefined ? undefined : eq(favorites.bookId, bookId)))
}

const toFavoriteBook = (row: BookViewRow & { favoritedAt: Date }): FavoriteBook =>
  Object.assign(toBookView(row), { favoritedAt: row.favoritedAt.toISOString() })

/**
 * The caller's favourites among active books, newest first (book id breaks ties). Both queries are
 * prepared once, so a page costs no SQL building per request.
 */
export function prepareFavoritesPage (db: Database) {
  const pageQuery = favoriteQuery(db, sql.placeholder('userId'))
    .orderBy(desc(favorites.createdAt), desc(favorites.bookId))
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'))
    .prepare()
  const countQuery = db.select({ count: count() }).from(favorites)
    .innerJoin(books, activeBook(favorites.bookId))
    .where(eq(favorites.userId, sql.placeholder('userId')))
    .prepare()
  return async (userId: number, pagination: Pagination) => {
    const [rows, [total]] = await Promise.all([
      pageQuery.execute({ userId, limit: pagination.pageSize, offset: pageOffset(pagination) }),
      countQuery.execute({ userId })
    ])
    return { items: rows.map(toFavoriteBook), total: total?.count ?? 0 }
  }
}

/**
 * One INSERT IGNORE … SELECT: it adds the row only if the book is active, and the primary key lets
 * exactly one of any number of racing requests add it. Nothing added means no such book or a favourite already.
 */
export async function addFavorite (db: Database, userId: number, bookId: number): Promise<FavoriteBook> {
  const [result] = await db.execute(sql`
    insert ignore into ${favorites} (${sql.identifier('user_id')}, ${sql.identifier('book_id')})
    select ${userId}, ${books.id} from ${books} where ${activeBook(bookId)}`)
  if (result.affectedRows === 0) {
    if (!await activeBookExists(db, bookId)) throw notFound('Book')
    throw new ApiError('ALREADY_FAVORITE', 'This book is already one of your favourites')
  }
  const [row] = await favoriteQuery(db, userId, bookId)
  if (row === undefined) throw notFound('Book')
  return toFavoriteBook(row)
}

/** Removes a favourite of an active book; a deleted book's favourites are as invisible as the book. */
export async function removeFavorite (db: Database, userId: number, bookId: number): Promise<void> {
  const [result] = await db.delete(favorites).where(and(
    eq(favorites.userId, userId),
    eq(favorites.bookId, bookId),
    sql`exists (select 1 from ${books} where ${activeBook(bookId)})`
  ))
  if (result.affectedRows === 0) throw notFound('Favourite')
}
