import type { holds } from '../../db/schema/index.js'
import { day, hour, isUnverified, type BorrowPlan, type Frame, type PlannedBook, type Random } from './plan.js'

/**
 * The seeded holds: queues on some books with no copy on the shelf, and ended holds for history.
 * Planned after the borrows (a holder has no open borrow of the book) and before the books are
 * written (a ready hold's copy is on the hold shelf, in the book's `heldCopies`).
 */

export interface HoldRules {
  /** As MAX_ACTIVE_HOLDS. */
  maxActiveHolds: number
  /** As HOLD_PICKUP_DAYS. */
  pickupDays: number
}

type HoldRow = typeof holds.$inferInsert

const endedStatuses = ['fulfilled', 'cancelled', 'expired'] as const

/** Holders are verified readers (the admin only when alone): placing a hold needs a verified email. */
function readerOf (random: Random, frame: Frame): number {
  if (frame.userCount === 1) return frame.firstUserId
  const index = random.integer(1, frame.userCount - 1)
  return frame.firstUserId + (isUnverified(index) ? index - 1 : index)
}

const between = (random: Random, from: number, to: number) => from + Math.floor(random.next() * Math.max(0, to - from))

/**
 * Half of the active books with at most one copy off loan get a queue: one to three waiting holds,
 * and when one copy is not on loan it sits on the hold shelf for a ready hold, the first in the queue,
 * made ready within the pickup window (so it has not expired). Holders have no open borrow of the book,
 * one active hold on it and at most `maxActiveHolds` in all.
 */
function planQueues (random: Random, frame: Frame, planned: PlannedBook[], plan: BorrowPlan, { maxActiveHolds, pickupDays }: HoldRules): HoldRow[] {
  const taken = new Set<string>()
  for (let index = 0; index < plan.openCount; index++) taken.add(`${plan.userId[index]}:${plan.bookId[index]}`)
  const activeByUser = new Map<number, number>()
  const rows: HoldRow[] = []
  for (const book of planned) {
    const free = book.totalCopies - book.open
    if (book.deletedAt !== null || free > 1 || random.next() < 0.5) continue
    const wanted = free + random.integer(free === 1 ? 0 : 1, 3)
    const holders: number[] = []
    for (let attempts = 0; holders.length < wanted && attempts < wanted * 10; attempts++) {
      const userId = readerOf(random, frame)
      const pair = `${userId}:${book.id}`
      if (taken.has(pair) || (activeByUser.get(userId) ?? 0) >= maxActiveHolds) continue
      taken.add(pair)
      activeByUser.set(userId, (activeByUser.get(userId) ?? 0) + 1)
      holders.push(userId)
    }
    // Placed over the last three weeks, in queue order.
    const start = Math.max(book.createdAt, frame.now - 21 * day)
    const times = holders.map(() => between(random, start, frame.now - hour)).sort((a, b) => a - b)
    holders.forEach((userId, index) => {
      const createdAt = times[index] ?? start
      const ready = index === 0 && free === 1
      const readyAt = ready ? Math.max(createdAt, frame.now - Math.floor(random.next() * pickupDays * day)) : null
      rows.push(holdRow(book.id, userId, ready ? 'ready' : 'waiting', createdAt, readyAt, pickupDays, null))
    })
    if (holders.length > 0 && free === 1) book.held = 1
  }
  return rows
}

/**
 * Ended holds, one for every five books, within each book's life: fulfilled (borrowed within the
 * pickup window), expired (the window passed), or cancelled (while waiting, or once ready).
 */
function planHistory (random: Random, frame: Frame, planned: PlannedBook[], pickupDays: number): HoldRow[] {
  const rows: HoldRow[] = []
  const window = pickupDays * day
  for (let count = 0; count < Math.round(planned.length / 5); count++) {
    const book = random.pick(planned)
    const latest = (book.deletedAt ?? frame.now) - window - day
    if (latest <= book.createdAt) continue
    const status = random.pick(endedStatuses)
    const createdAt = between(random, book.createdAt, latest)
    const readyAt = status === 'cancelled' && random.next() < 0.5 ? null : between(random, createdAt, Math.min(latest, createdAt + 14 * day))
    const endedAt = readyAt === null
      ? between(random, createdAt, Math.min(latest, createdAt + 10 * day))
      : status === 'expired' ? readyAt + window + between(random, 0, hour) : between(random, readyAt, readyAt + window)
    rows.push(holdRow(book.id, readerOf(random, frame), status, createdAt, readyAt, pickupDays, endedAt))
  }
  return rows
}

function holdRow (bookId: number, userId: number, status: HoldRow['status'], createdAt: number, readyAt: number | null, pickupDays: number, endedAt: number | null): HoldRow {
  return {
    bookId,
    userId,
    status,
    createdAt: new Date(createdAt),
    readyAt: readyAt === null ? null : new Date(readyAt),
    pickupBy: readyAt === null ? null : new Date(readyAt + pickupDays * day),
    endedAt: endedAt === null ? null : new Date(endedAt)
  }
}

/** Every seeded hold, oldest first: written in that order, ids give each book's queue order. */
export function planHolds (random: Random, frame: Frame, planned: PlannedBook[], plan: BorrowPlan, rules: HoldRules): HoldRow[] {
  return [...planQueues(random, frame, planned, plan, rules), ...planHistory(random, frame, planned, rules.pickupDays)]
    .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0))
}
