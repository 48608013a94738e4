/**
 * The hold shelf: the steps other modules' transactions take when copies move. Each runs on the
 * caller's transaction, which has locked the book's row first (`lockBookCopies`), so every change of
 * the copies and the queue of one book happens one transaction at a time.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { affectedRows, type Transaction } from '../../db/query-helpers.js'
import { books, holds, users } from '../../db/schema/index.js'
import type { QueueMail } from '../../plugins/mail.js'
import { holdCancelledEmail, holdReadyEmail } from './emails.js'

/** What the transitions need to know of the configuration. */
export interface ShelfRules {
  pickupDays: number
}

/** The book's row, locked until the transaction ends (SELECT … FOR UPDATE); undefined when there is none. */
export async function lockBookCopies (tx: Transaction, bookId: number) {
  const [book] = await tx.select({
    title: books.title,
    ownerId: books.ownerId,
    deletedAt: books.deletedAt,
    totalCopies: books.totalCopies,
    availableCopies: books.availableCopies,
    borrowedCopies: books.borrowedCopies,
    heldCopies: books.heldCopies,
    setAsideCopies: books.setAsideCopies
  }).from(books).where(eq(books.id, bookId)).for('update')
  return book
}

/** Whether anyone waits for the book (on the caller's locked row, so the answer holds until commit). */
export async function hasWaitingHold (tx: Transaction, bookId: number): Promise<boolean> {
  const [row] = await tx.select({ id: holds.id }).from(holds)
    .where(and(eq(holds.bookId, bookId), eq(holds.status, 'waiting'))).limit(1)
  return row !== undefined
}

/**
 * Moves copies from the shelf to the hold shelf while holds wait: the first waiting hold (lowest id)
 * becomes ready with its pickup date, and its holder's email is queued on the same transaction. Call it
 * after any change that may put copies on the shelf (a return, a copy increase, a hold ending).
 */
export async function promoteWaitingHolds (tx: Transaction, queue: QueueMail, bookId: number, rules: ShelfRules, now = new Date()): Promise<void> {
  const book = await lockBookCopies(tx, bookId)
  if (book === undefined || book.deletedAt !== null || book.availableCopies === 0) return
  const next = await tx.select({ id: holds.id, email: users.email }).from(holds)
    .innerJoin(users, eq(users.id, holds.userId))
    .where(and(eq(holds.bookId, bookId), eq(holds.status, 'waiting')))
    .orderBy(asc(holds.id)).limit(book.availableCopies)
  if (next.length === 0) return
  const pickupBy = new Date(now.getTime() + rules.pickupDays * 86_400_000)
  for (const hold of next) {
    await tx.update(holds).set({ status: 'ready', readyAt: now, pickupBy }).where(eq(holds.id, hold.id))
    await queue(hold.email, holdReadyEmail(book.title, pickupBy))
  }
  await tx.update(books).set({
    availableCopies: sql`${books.availableCopies} - ${next.length}`,
    heldCopies: sql`${books.heldCopies} + ${next.length}`
  }).where(eq(books.id, bookId))
}

/**
 * The holder borrows the copy kept for them: their ready hold is fulfilled and the copy moves from the
 * hold shelf to the loans. False when the user has no ready hold on the book (then the shelf is tried).
 */
export async function fulfilReadyHold (tx: Transaction, userId: number, bookId: number, now = new Date()): Promise<boolean> {
  const fulfilled = await tx.update(holds).set({ status: 'fulfilled', endedAt: now })
    .where(and(eq(holds.userId, userId), eq(holds.activeBookId, bookId), eq(holds.status, 'ready')))
  if (affectedRows(fulfilled) === 0) return false
  await tx.update(books).set({
    heldCopies: sql`${books.heldCopies} - 1`,
    borrowedCopies: sql`${books.borrowedCopies} + 1`
  }).where(eq(books.id, bookId))
  return true
}

/**
 * Ends an active hold (`cancelled` or `expired`); a ready one gives its copy back to the shelf, from
 * where the next waiting hold takes it. False when the hold had already ended.
 */
export async function endHold (tx: Transaction, queue: QueueMail, hold: { id: number, bookId: number }, status: 'cancelled' | 'expired', rules: ShelfRules, now = new Date()): Promise<boolean> {
  const [current] = await tx.select({ status: holds.status }).from(holds).where(eq(holds.id, hold.id)).for('update')
  if (current === undefined || (current.status !== 'waiting' && current.status !== 'ready')) return false
  if (status === 'expired' && current.status !== 'ready') return false
  await tx.update(holds).set({ status, endedAt: now }).where(eq(holds.id, hold.id))
  if (current.status === 'ready') {
    await tx.update(books).set({
      heldCopies: sql`${books.heldCopies} - 1`,
      availableCopies: sql`${books.availableCopies} + 1`
    }).where(eq(books.id, hold.bookId))
    await promoteWaitingHolds(tx, queue, hold.bookId, rules, now)
  }
  return true
}

/**
 * A book leaves the catalogue: its active holds are cancelled, the copies on its hold shelf go back to
 * the shelf, and each holder is told.
 */
export async function cancelHoldsOfBook (tx: Transaction, queue: QueueMail, bookId: number, title: string, now = new Date()): Promise<void> {
  const active = await tx.select({ id: holds.id, status: holds.status, email: users.email }).from(holds)
    .innerJoin(users, eq(users.id, holds.userId))
    .where(and(eq(holds.bookId, bookId), inArray(holds.status, ['waiting', 'ready'])))
  if (active.length === 0) return
  await tx.update(holds).set({ status: 'cancelled', endedAt: now })
    .where(and(eq(holds.bookId, bookId), inArray(holds.status, ['waiting', 'ready'])))
  const held = active.filter((hold) => hold.status === 'ready').length
  if (held > 0) {
    await tx.update(books).set({
      heldCopies: sql`${books.heldCopies} - ${held}`,
      availableCopies: sql`${books.availableCopies} + ${held}`
    }).where(eq(books.id, bookId))
  }
  for (const hold of active) await queue(hold.email, holdCancelledEmail(title))
}
