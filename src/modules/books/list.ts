import { and, asc, count, desc, eq, gt, gte, isNull, lte, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { authors, books, bookTotals } from '../../db/schema/index.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import { bookViewColumns, toBookView } from '../catalogue/index.js'
import type { BookListFilters, BookSort } from './schemas.js'
import { searchCondition } from './search.js'

type ColumnSort = Exclude<BookSort, 'relevance'>

/**
 * Each sort with the id as tie-breaker, in the column order of one `books_deleted_*` index (and one
 * `books_owner_*` index), so a page is read in index order.
 */
const sortOrders: Record<ColumnSort, SQL[]> = {
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

function filterConditions (filters: BookListFilters, ownerId: number | undefined): (SQL | undefined)[] {
  return [
    isNull(books.deletedAt),
    ownerId === undefined ? undefined : eq(books.ownerId, ownerId),
    filters.genre === undefined ? undefined : eq(books.genre, filters.genre),
    filters.authorId === undefined ? undefined : eq(books.authorId, filters.authorId),
    filters.yearFrom === undefined ? undefined : gte(books.publicationYear, filters.yearFrom),
    filters.yearTo === undefined ? undefined : lte(books.publicationYear, filters.yearTo),
    filters.available === undefined ? undefined : filters.available ? gt(books.availableCopies, 0) : eq(books.availableCopies, 0)
  ]
}

type ListFilters = BookListFilters & Pagination

/**
 * A page of active books (optionally only `ownerId`'s) and the total. A deferred join: the page's ids
 * are picked from `books` alone (an index read in order, LIMIT/OFFSET over index entries only), then
 * only those rows are joined to their authors. The whole catalogue's total is a maintained counter;
 * a filtered one counts over an index; with `q` the full-text index finds the matches once, and a
 * window count over them gives the total.
 */
export async function listBooks (db: Database, filters: ListFilters, { ownerId }: { ownerId?: number } = {}) {
  const search = filters.q === undefined ? undefined : searchCondition(filters.q)
  const where = and(...filterConditions(filters, ownerId), ...(search?.conditions ?? []))
  const sort = filters.sort ?? (search === undefined ? '-createdAt' : 'relevance')
  if (search === undefined || sort !== 'relevance') {
    const whole = search === undefined && !narrowsCatalogue(filters, ownerId)
    return listByColumns(db, filters, where, sort === 'relevance' ? '-createdAt' : sort, whole)
  }

  const page = db.select({
    pageId: sql<number>`${books.id}`.as('page_id'),
    score: search.score.as('score'),
    total: sql<number>`count(*) over ()`.as('total')
  }).from(books)
    .where(where)
    .orderBy(desc(search.score), asc(books.id))
    .limit(filters.pageSize)
    .offset(pageOffset(filters))
    .as('page_ids')
  const rows = await db.select({ ...bookViewColumns, total: page.total }).from(page)
    .innerJoin(books, eq(books.id, page.pageId))
    .innerJoin(authors, eq(authors.id, books.authorId))
    .orderBy(desc(page.score), asc(books.id))
  // A page past the end has no row to carry the total.
  const total = rows[0] === undefined ? await countBooks(db, where) : Number(rows[0].total)
  return { items: rows.map(toBookView), total }
}

async function countBooks (db: Database, where: SQL | undefined): Promise<number> {
  const [row] = await db.select({ count: count() }).from(books).where(where)
  return row?.count ?? 0
}

/** The number of active books, kept by triggers in `book_totals`. */
async function activeBookCount (db: Database): Promise<number> {
  const [row] = await db.select({ count: bookTotals.activeBooks }).from(bookTotals)
  return row?.count ?? 0
}

const narrowsCatalogue = (filters: BookListFilters, ownerId: number | undefined) => ownerId !== undefined ||
  filters.genre !== undefined || filters.authorId !== undefined || filters.yearFrom !== undefined ||
  filters.yearTo !== undefined || filters.available !== undefined

async function listByColumns (db: Database, filters: ListFilters, where: SQL | undefined, sort: ColumnSort, whole: boolean) {
  const order = sortOrders[sort]
  const page = db.select({ pageId: sql<number>`${books.id}`.as('page_id') }).from(books)
    .where(where)
    .orderBy(...order)
    .limit(filters.pageSize)
    .offset(pageOffset(filters))
    .as('page_ids')
  const [rows, total] = await Promise.all([
    db.select(bookViewColumns).from(page)
      .innerJoin(books, eq(books.id, page.pageId))
      .innerJoin(authors, eq(authors.id, books.authorId))
      .orderBy(...order),
    whole ? activeBookCount(db) : countBooks(db, where)
  ])
  return { items: rows.map(toBookView), total }
}
