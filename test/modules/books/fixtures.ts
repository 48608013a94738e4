import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { books } from '../../../src/db/schema/index.js'
import { completeIsbn13 } from '../../../src/modules/books/isbn.js'
import type { BookView } from '../../../src/modules/catalogue/index.js'
import type { TestUser } from '../../helpers/index.js'

/** A valid ISBN-13 (978 prefix) made from `n`, distinct for each n below 10⁹. */
export function isbn13 (n: number): string {
  return completeIsbn13(`978${String(n).padStart(9, '0')}`)
}

let counter = 0

/** Creates a book through the API as `user` (author "Test Author" unless given) and returns it. */
export async function createBook (app: FastifyInstance, user: TestUser, payload: Record<string, unknown> = {}): Promise<BookView> {
  counter += 1
  const body = {
    title: `Book ${counter}`,
    isbn: isbn13(100000 + counter + Math.floor(Math.random() * 1e8)),
    publicationYear: 2000,
    ...(payload.authorId === undefined && payload.author === undefined ? { author: 'Test Author' } : {}),
    ...payload
  }
  const response = await app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: body })
  if (response.statusCode !== 201) throw new Error(`createBook: ${response.statusCode} ${response.body}`)
  return response.json<BookView>()
}

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
