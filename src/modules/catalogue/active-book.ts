import { and, eq, isNull, type SQLWrapper } from 'drizzle-orm'
import type { Executor } from '../../db/query-helpers.js'
import { books } from '../../db/schema/index.js'

/** A book is active while it is not soft-deleted: the only books anyone may borrow, review, favour or attach files to. */
export const bookIsActive = () => isNull(books.deletedAt)

/** The active book `id` (a value, a placeholder or a column to join on). */
export const activeBook = (id: number | SQLWrapper) => and(eq(books.id, id), bookIsActive())

/** Whether book `id` exists and is active. */
export async function activeBookExists (db: Executor, id: number): Promise<boolean> {
  const [row] = await db.select({ id: books.id }).from(books).where(activeBook(id))
  return row !== undefined
}
