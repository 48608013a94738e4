import { eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { books, borrows } from '../../../src/db/schema/index.js'

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
