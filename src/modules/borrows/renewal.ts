import { eq, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { retryOnDeadlock, type Transaction } from '../../db/query-helpers.js'
import { borrows } from '../../db/schema/index.js'
import { ApiError, notFound } from '../../lib/problem.js'
import { ownsOrAdmin, type Caller } from '../catalogue/index.js'
import { hasWaitingHold, lockBookCopies } from '../holds/index.js'

export interface RenewalRules {
  maxRenewals: number
  loanDays: number
}

/**
 * Extends an open loan by LOAN_DAYS from the later of now and its due date, in one transaction that
 * locks the book's row before the borrow's: placing a hold locks the same row, so a renewal and a new
 * hold racing each other end one way or the other (the renewal first and the hold waits, or the hold
 * first and the renewal is refused), never both. Someone else's borrow is not found. `answer` makes the
 * reply inside the transaction, so an idempotent retry's stored answer commits with the renewal.
 */
export async function renewBorrow<T> (db: Database, borrowId: number, caller: Caller, { maxRenewals, loanDays }: RenewalRules, answer: (tx: Transaction) => Promise<T>, now = new Date()): Promise<T> {
  const [borrow] = await db.select({ userId: borrows.userId, bookId: borrows.bookId }).from(borrows).where(eq(borrows.id, borrowId))
  if (borrow === undefined || !ownsOrAdmin(caller, borrow.userId)) throw notFound('Borrow')
  return await retryOnDeadlock(() => db.transaction(async (tx) => {
    await lockBookCopies(tx, borrow.bookId)
    const [current] = await tx.select({ dueAt: borrows.dueAt, returnedAt: borrows.returnedAt, renewalCount: borrows.renewalCount })
      .from(borrows).where(eq(borrows.id, borrowId)).for('update')
    if (current === undefined) throw notFound('Borrow')
    if (current.returnedAt !== null) throw new ApiError('ALREADY_RETURNED', 'This borrow has already been returned')
    if (current.renewalCount >= maxRenewals) {
      throw new ApiError('RENEWAL_LIMIT_REACHED', `A loan may be renewed at most ${maxRenewals} times; return it instead`)
    }
    if (await hasWaitingHold(tx, borrow.bookId)) {
      throw new ApiError('BOOK_ON_HOLD', 'Someone is waiting for this book, so the loan cannot be renewed; please return it')
    }
    const from = Math.max(now.getTime(), current.dueAt.getTime())
    await tx.update(borrows).set({
      dueAt: new Date(from + loanDays * 86_400_000),
      renewalCount: sql`${borrows.renewalCount} + 1`
    }).where(eq(borrows.id, borrowId))
    return await answer(tx)
  }))
}
