import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm'
import { bookEtag } from './etag.js'
import type { Pool, RowDataPacket } from 'mysql2/promise'
import { connectedDrizzle, type Database } from '../../db/client.js'
import type { Executor } from '../../db/query-helpers.js'
import { authors, books } from '../../db/schema/index.js'
import { ApiError, forbidden, notFound } from '../../lib/problem.js'
import type { Mailer } from '../../plugins/mail.js'
import { activeBook, bookIsActive, bookViewColumns, ownsOrAdmin, selectBookViews, toBookView, type BookView, type Caller } from '../catalogue/index.js'
import { cancelHoldsOfBook, lockBookCopies, promoteWaitingHolds, type ShelfRules } from '../holds/index.js'
import { copyChanges } from './copies.js'

/** One book as the API shows it, or `undefined` (a soft-deleted one too, unless `includeDeleted`). */
export async function findBookView (db: Executor, id: number, { includeDeleted = false } = {}): Promise<BookView | undefined> {
  const [row] = await selectBookViews(db).where(includeDeleted ? eq(books.id, id) : activeBook(id))
  return row === undefined ? undefined : toBookView(row)
}

/**
 * `getBookView` on the pool, prepared once: the catalogue's hottest read, so Drizzle does not build
 * its SQL on every request.
 */
export function prepareBookRead (db: Database): (id: number) => Promise<{ book: BookView, etag: string }> {
  const query = db.select({ ...bookViewColumns, version: books.version, authorUpdatedAt: authors.updatedAt })
    .from(books).innerJoin(authors, eq(authors.id, books.authorId))
    .where(activeBook(sql.placeholder('id'))).prepare()
  return async (id) => {
    const [row] = await query.execute({ id })
    if (row === undefined) throw notFound('Book')
    return { book: toBookView(row), etag: bookEtag(row) }
  }
}

async function getBookView (db: Executor, id: number): Promise<BookView> {
  const book = await findBookView(db, id)
  if (book === undefined) throw notFound('Book')
  return book
}

/**
 * Author names are matched in a collation that tells astral-plane characters apart (utf8mb4_unicode_ci
 * weighs every emoji alike) and ignores case. The lock is named by the collation's weights, so two names
 * that match take the same lock; `database()` is utf8mb3, converted so that mixing it with a utf8mb4
 * name is not error 1270.
 */
const nameCollation = 'utf8mb4_unicode_520_ci'

/**
 * The author a write refers to: `authorId` must exist (404 otherwise); `author` is a name, matched
 * case-insensitively (the oldest match wins) or created.
 */
async function resolveAuthor (tx: Executor, choice: { authorId?: number | undefined, author?: string | undefined }): Promise<number> {
  if (choice.authorId !== undefined) {
    const [found] = await tx.select({ id: authors.id }).from(authors).where(eq(authors.id, choice.authorId))
    if (found === undefined) throw notFound('Author')
    return found.id
  }
  const name = (choice.author ?? '').trim()
  const [existing] = await tx.select({ id: authors.id }).from(authors)
    .where(sql`${authors.name} collate ${sql.raw(nameCollation)} = ${name}`)
    .orderBy(asc(authors.id))
    .limit(1)
  if (existing !== undefined) return existing.id
  const [created] = await tx.insert(authors).values({ name }).$returningId()
  if (created === undefined) throw new Error('author insert returned no id')
  return created.id
}

const authorLockName = `sha1(concat(convert(database() using utf8mb4), ':author:', hex(weight_string(trim(?) collate ${nameCollation}))))`

/**
 * Runs `work` while holding a named lock on an author name (GET_LOCK on a connection of its own),
 * so that requests racing to find-or-create the same new author create it once: the lock is released
 * only after `work`'s transaction has committed. Without a name, `work` runs on the shared pool.
 */
export async function withAuthorNameLock<T> (db: Database, pool: Pool, name: string | undefined, work: (db: Database) => Promise<T>): Promise<T> {
  if (name === undefined) return work(db)
  const connection = await pool.getConnection()
  try {
    const [rows] = await connection.query<RowDataPacket[]>(`select get_lock(${authorLockName}, 10) as locked`, [name])
    if (Number(rows[0]?.locked) !== 1) {
      throw new ApiError('SERVICE_UNAVAILABLE', 'The catalogue is busy; try again shortly', { headers: { 'retry-after': '1' } })
    }
    try {
      return await work(connectedDrizzle(connection))
    } finally {
      await connection.query(`do release_lock(${authorLockName})`, [name])
    }
  } finally {
    connection.release()
  }
}

export interface NewBookValues {
  title: string
  isbn: string
  publicationYear: number
  publicationDate: string | null
  genre: string | null
  totalCopies: number
  ownerId: number
}

export async function insertBook (db: Database, values: NewBookValues, author: { authorId?: number | undefined, author?: string | undefined }): Promise<number> {
  return db.transaction(async (tx) => {
    const authorId = await resolveAuthor(tx, author)
    const [created] = await tx.insert(books).values({ ...values, authorId, availableCopies: values.totalCopies }).$returningId()
    if (created === undefined) throw new Error('book insert returned no id')
    return created.id
  })
}

export interface BookChanges {
  title?: string
  isbn?: string
  publicationYear?: number
  publicationDate?: string | null
  genre?: string | null
  authorId?: number | undefined
  author?: string | undefined
  totalCopies?: number
  availableCopies?: number
}

const preconditionFailed = () => new ApiError('PRECONDITION_FAILED', 'The book has changed since the ETag given in If-Match; read it again and reapply the change')

/**
 * Applies a PUT/PATCH under a row lock (SELECT … FOR UPDATE), so a borrow or return racing with it
 * waits and the copy accounting is computed from the counts it will actually change. Copies it puts
 * on the shelf go to the hold shelf while holds wait, in the same transaction. `ifMatch` (see etag.ts)
 * is part of the UPDATE's WHERE: when it no longer holds nothing is written → 412.
 */
export async function updateBook (db: Database, mailer: Mailer, id: number, changes: BookChanges, caller: Caller, rules: ShelfRules, ifMatch?: SQL): Promise<void> {
  await mailer.transaction(async (tx, queue) => {
    const current = await lockBookCopies(tx, id)
    if (current === undefined || current.deletedAt !== null) throw notFound('Book')
    if (!ownsOrAdmin(caller, current.ownerId)) throw forbidden('Only the owner of the book or an admin may change it')
    if (changes.availableCopies !== undefined && caller.role !== 'admin') throw forbidden('Only an admin may set availableCopies')

    const { author, authorId, totalCopies, availableCopies, ...described } = changes
    const copyColumns = copyChanges(current, totalCopies, availableCopies)
    const newAuthorId = authorId === undefined && author === undefined
      ? {}
      : { authorId: await resolveAuthor(tx, { authorId, author }) }
    const [result] = await tx.update(books).set({ ...described, ...copyColumns, ...newAuthorId }).where(and(eq(books.id, id), ifMatch))
    if (result.affectedRows === 0) throw preconditionFailed()
    await promoteWaitingHolds(tx, queue, id, rules)
  }, db)
}

/**
 * Soft delete in one transaction under the book's row lock: it only happens while no copy is out on
 * loan (and `ifMatch` holds), and cancels the book's active holds, telling their holders.
 */
export async function softDeleteBook (mailer: Mailer, id: number, caller: Caller, ifMatch?: SQL): Promise<void> {
  await mailer.transaction(async (tx, queue) => {
    const book = await lockBookCopies(tx, id)
    if (book === undefined || book.deletedAt !== null) throw notFound('Book')
    if (!ownsOrAdmin(caller, book.ownerId)) throw forbidden('Only the owner of the book or an admin may delete it')
    if (ifMatch !== undefined) {
      const [unchanged] = await tx.select({ id: books.id }).from(books).where(and(eq(books.id, id), ifMatch))
      if (unchanged === undefined) throw preconditionFailed()
    }
    if (book.borrowedCopies > 0) {
      throw new ApiError('BOOK_HAS_ACTIVE_BORROWS', 'The book has copies out on loan; it can be deleted once they are returned')
    }
    const now = new Date()
    await cancelHoldsOfBook(tx, queue, id, book.title, now)
    await tx.update(books).set({ deletedAt: now }).where(eq(books.id, id))
  })
}

/** Undoes a soft delete (idempotent on an active book); the ISBN's unique key answers ISBN_TAKEN. */
export async function restoreBook (db: Database, id: number): Promise<BookView> {
  const existing = await findBookView(db, id, { includeDeleted: true })
  if (existing === undefined) throw notFound('Book')
  await db.update(books).set({ deletedAt: null }).where(and(eq(books.id, id), sql`${books.deletedAt} is not null`))
  return getBookView(db, id)
}

/**
 * Active books with copies on the shelf, grouped by genre. One query: the per-genre totals are a
 * GROUP BY subquery joined back to its books (null-safe, so books without a genre form a group too).
 */
export async function availableByGenre (db: Database) {
  const onShelf = and(bookIsActive(), gt(books.availableCopies, 0))
  const totals = db.select({
    genre: books.genre,
    total: sql<string>`sum(${books.availableCopies})`.as('total')
  }).from(books).where(onShelf).groupBy(books.genre).as('genre_totals')
  const rows = await db.select({
    genre: totals.genre,
    total: totals.total,
    id: books.id,
    title: books.title,
    authorId: authors.id,
    authorName: authors.name,
    availableCopies: books.availableCopies
  }).from(totals)
    .innerJoin(books, sql`${books.genre} <=> ${totals.genre}`)
    .innerJoin(authors, eq(authors.id, books.authorId))
    .where(onShelf)
    .orderBy(sql`${totals.genre} is null`, asc(totals.genre), asc(books.title), asc(books.id))

  const shelves: { genre: string | null, availableCopies: number, books: { id: number, title: string, author: { id: number, name: string }, availableCopies: number }[] }[] = []
  for (const row of rows) {
    let shelf = shelves.at(-1)
    if (shelf === undefined || shelf.genre !== row.genre) {
      shelf = { genre: row.genre, availableCopies: Number(row.total), books: [] }
      shelves.push(shelf)
    }
    shelf.books.push({ id: row.id, title: row.title, author: { id: row.authorId, name: row.authorName }, availableCopies: row.availableCopies })
  }
  return shelves
}
