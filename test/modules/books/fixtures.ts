import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { books } from '../../../src/db/schema/index.js'

/** The copy columns of a book, straight from the database. */
export async function copiesOf (app: FastifyInstance, id: number) {
  const [row] = await app.db.select({
    totalCopies: books.totalCopies,
    availableCopies: books.availableCopies,
    borrowedCopies: books.borrowedCopies,
    setAsideCopies: books.setAsideCopies
  }).from(books).where(eq(books.id, id))
  if (row === undefined) throw new Error(`no book ${id}`)
  return row
}

/** Pretends `count` copies went out on loan (what the borrows module does), keeping the balance. */
export async function lendCopies (app: FastifyInstance, id: number, count: number) {
  const before = await copiesOf(app, id)
  await app.db.update(books).set({
    availableCopies: before.availableCopies - count,
    borrowedCopies: before.borrowedCopies + count
  }).where(eq(books.id, id))
}

/** Enough headroom that a test file's few hundred requests never hit the overall rate limit. */
export const testEnvOverrides = { RATE_LIMIT_MAX: '100000' }
