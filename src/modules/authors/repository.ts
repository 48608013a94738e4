import { asc, count, eq, like, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { authors, books } from '../../db/schema/index.js'
import { notFound } from '../../lib/problem.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import { containsPattern } from '../../db/query-helpers.js'
import { bookIsActive } from '../catalogue/index.js'
import type { AuthorListFilters, AuthorPatch, AuthorView } from './schemas.js'

/**
 * Active books per author as one grouped subquery, joined to the authors it counts for: the list and
 * the lookup each stay one query whatever the number of authors.
 */
function authorsWithBookCount (db: Database) {
  const counts = db.select({
    authorId: books.authorId,
    bookCount: count().as('book_count')
  }).from(books).where(bookIsActive()).groupBy(books.authorId).as('author_book_counts')
  return db.select({
    id: authors.id,
    name: authors.name,
    birthdate: authors.birthdate,
    nationality: authors.nationality,
    bookCount: sql<number>`coalesce(${counts.bookCount}, 0)`.mapWith(Number),
    // For the ETag; not part of the view (the response schema leaves it out).
    updatedAt: authors.updatedAt
  }).from(authors).leftJoin(counts, eq(counts.authorId, authors.id))
}

/**
 * A strong ETag from the row as read: the author's last change and its count of active books (the only
 * part of the view that other rows move), so no second query and no hash of the body.
 */
export const authorEtag = ({ updatedAt, bookCount }: { updatedAt: Date, bookCount: number }) => `"${updatedAt.getTime().toString(36)}.${bookCount}"`

export async function findAuthor (db: Database, id: number): Promise<AuthorView & { updatedAt: Date }> {
  const [author] = await authorsWithBookCount(db).where(eq(authors.id, id))
  if (author === undefined) throw notFound('Author')
  return author
}

/** A page of authors by name (then id): one query for the rows, one for the count. */
export async function listAuthors (db: Database, filters: AuthorListFilters & Pagination) {
  const where: SQL | undefined = filters.q === undefined ? undefined : like(authors.name, containsPattern(filters.q))
  const [rows, [total]] = await Promise.all([
    authorsWithBookCount(db).where(where).orderBy(asc(authors.name), asc(authors.id))
      .limit(filters.pageSize).offset(pageOffset(filters)),
    db.select({ count: count() }).from(authors).where(where)
  ])
  return { items: rows, total: total?.count ?? 0 }
}

export async function insertAuthor (db: Database, values: { name: string, birthdate: string | null, nationality: string | null }): Promise<number> {
  const [created] = await db.insert(authors).values(values).$returningId()
  if (created === undefined) throw new Error('author insert returned no id')
  return created.id
}

export async function updateAuthor (db: Database, id: number, changes: AuthorPatch): Promise<void> {
  const [result] = await db.update(authors).set(changes).where(eq(authors.id, id))
  // affectedRows counts matched rows with mysql2's default flags, so an unchanged row still counts.
  if (result.affectedRows === 0) throw notFound('Author')
}

/**
 * Deletes the author unless a book, soft-deleted or not, references it: the foreign key refuses the
 * DELETE, and the database error mapping answers AUTHOR_HAS_BOOKS.
 */
export async function deleteAuthor (db: Database, id: number): Promise<void> {
  const [result] = await db.delete(authors).where(eq(authors.id, id))
  if (result.affectedRows === 0) throw notFound('Author')
}
