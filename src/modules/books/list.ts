import { and, asc, count, desc, eq, gt, gte, isNull, like, lte, or, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { containsPattern } from '../../db/query-helpers.js'
import { authors, books } from '../../db/schema/index.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import { bookViewColumns, toBookView } from './book-view.js'
import type { BookListFilters, BookSort } from './schemas.js'

/**
 * Each sort with the id as tie-breaker, in the column order of one `books_deleted_*` index (and one
 * `books_owner_*` index), so a page is read in index order.
 */
const sortOrders: Record<BookSort, SQL[]> = {
  title: [asc(books.title), asc(books.id)],
  '-title': [desc(books.title), desc(books.id)],
  publicationYear: [asc(books.publicationYear), asc(books.id)],
  '-publicationYear': [desc(books.publicationYear), desc(books.id)],
  createdAt: [asc(books.createdAt), asc(books.id)],
  '-createdAt': [desc(books.createdAt), desc(books.id)],
  // Unrated books last in both directions: the key puts them after 5.00; MySQL sorts NULL last in a
  // descending order already.
  rating: [asc(books.ratingAscKey), asc(books.id)],
  '-rating': [desc(books.averageRating), desc(books.id)]
}

function listConditions (filters: BookListFilters, ownerId: number | undefined): SQL | undefined {
  return and(
    isNull(books.deletedAt),
    filters.q === undefined ? undefined : or(like(books.title, containsPattern(filters.q)), like(authors.name, containsPattern(filters.q))),
    ownerId === undefined ? undefined : eq(books.ownerId, ownerId),
    filters.genre === undefined ? undefined : eq(books.genre, filters.genre),
    filters.authorId === undefined ? undefined : eq(books.authorId, filters.authorId),
    filters.yearFrom === undefined ? undefined : gte(books.publicationYear, filters.yearFrom),
    filters.yearTo === undefined ? undefined : lte(books.publicationYear, filters.yearTo),
    filters.available === undefined ? undefined : filters.available ? gt(books.availableCopies, 0) : eq(books.availableCopies, 0)
  )
}

/**
 * A page of active books (optionally only `ownerId`'s) and the total. A deferred join: the page's ids
 * are picked from `books` alone (an index read in order, LIMIT/OFFSET over index entries only), then
 * only those rows are joined to their authors; the count reads an index alone.
 */
export async function listBooks (db: Database, filters: BookListFilters & Pagination, { ownerId }: { ownerId?: number } = {}) {
  const where = listConditions(filters, ownerId)
  const order = sortOrders[filters.sort ?? '-createdAt']
  const candidates = () => filters.q === undefined
    ? db.select({ pageId: sql<number>`${books.id}`.as('page_id') }).from(books)
    : db.select({ pageId: sql<number>`${books.id}`.as('page_id') }).from(books).innerJoin(authors, eq(authors.id, books.authorId))
  const page = candidates()
    .where(where)
    .orderBy(...order)
    .limit(filters.pageSize)
    .offset(pageOffset(filters))
    .as('page_ids')
  const [rows, [total]] = await Promise.all([
    db.select(bookViewColumns).from(page)
      .innerJoin(books, eq(books.id, page.pageId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .orderBy(...order),
    filters.q === undefined
      ? db.select({ count: count() }).from(books).where(where)
      : db.select({ count: count() }).from(books).innerJoin(authors, eq(authors.id, books.authorId)).where(where)
  ])
  return { items: rows.map(toBookView), total: total?.count ?? 0 }
}
