import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { authors, books, borrows } from '../../../src/db/schema/index.js'
import { completeIsbn13 } from '../../../src/modules/books/isbn.js'

/** A valid ISBN-13 (978 prefix, random body, checksum computed). */
export function randomIsbn (): string {
  return completeIsbn13(`978${Array.from(randomBytes(9), (byte) => byte % 10).join('')}`)
}

export async function createAuthor (app: FastifyInstance, name = `Author ${randomBytes(3).toString('hex')}`): Promise<{ id: number, name: string }> {
  const [row] = await app.db.insert(authors).values({ name }).$returningId()
  if (row === undefined) throw new Error('author insert returned no id')
  return { id: row.id, name }
}

export interface BookOptions {
  ownerId: number
  copies?: number
  genre?: string | null
  authorId?: number
  title?: string
  deleted?: boolean
}

/** Inserts a book straight into the database (the catalogue routes belong to another module). */
export async function createBook (app: FastifyInstance, { ownerId, copies = 1, genre = 'Fiction', authorId, title, deleted = false }: BookOptions) {
  const author = authorId ?? (await createAuthor(app)).id
  const values = {
    title: title ?? `Book ${randomBytes(3).toString('hex')}`,
    isbn: randomIsbn(),
    genre,
    publicationYear: 2001,
    authorId: author,
    ownerId,
    totalCopies: copies,
    availableCopies: copies,
    deletedAt: deleted ? new Date() : null
  }
  const [row] = await app.db.insert(books).values(values).$returningId()
  if (row === undefined) throw new Error('book insert returned no id')
  return { id: row.id, ...values }
}

export async function bookCopies (app: FastifyInstance, bookId: number) {
  const [row] = await app.db.select({
    total: books.totalCopies,
    available: books.availableCopies,
    borrowed: books.borrowedCopies,
    setAside: books.setAsideCopies,
    open: sql<number>`(select count(*) from borrows where borrows.book_id = books.id and borrows.returned_at is null)`.mapWith(Number)
  }).from(books).where(eq(books.id, bookId))
  if (row === undefined) throw new Error(`no book ${bookId}`)
  return row
}

export async function countBorrows (app: FastifyInstance): Promise<number> {
  const [row] = await app.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(borrows)
  return row?.n ?? 0
}
