import { and, eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { books, emailOutbox } from '../../../src/db/schema/index.js'
import type { TestUser } from '../../helpers/index.js'

/** A book's copy columns and its queue, read in SQL. */
export async function shelf (app: FastifyInstance, bookId: number) {
  const [row] = await app.db.select({
    total: books.totalCopies,
    available: books.availableCopies,
    borrowed: books.borrowedCopies,
    held: books.heldCopies,
    holdCount: books.holdCount,
    waiting: sql<number>`(select count(*) from holds where holds.book_id = books.id and holds.status = 'waiting')`.mapWith(Number),
    ready: sql<number>`(select count(*) from holds where holds.book_id = books.id and holds.status = 'ready')`.mapWith(Number)
  }).from(books).where(eq(books.id, bookId))
  if (row === undefined) throw new Error(`no book ${bookId}`)
  return row
}

/** How many emails of `kind` the outbox holds for `user`. */
export async function emailsTo (app: FastifyInstance, user: TestUser, kind: string): Promise<number> {
  const [row] = await app.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(emailOutbox)
    .where(and(eq(emailOutbox.recipient, user.email), eq(emailOutbox.kind, kind)))
  return row?.n ?? 0
}

export const placeHold = (app: FastifyInstance, user: TestUser, bookId: number) =>
  app.inject({ method: 'POST', url: `/api/books/${bookId}/holds`, headers: user.headers })

export const borrow = (app: FastifyInstance, user: TestUser, bookId: number) =>
  app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId } })
