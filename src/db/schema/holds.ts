import { sql } from 'drizzle-orm'
import { check, index, mysqlEnum, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core'
import { books } from './books.js'
import { createdAt, id, instant, ref } from './columns.js'
import { users } from './users.js'

/**
 * `waiting` in the book's queue; `ready`: a copy is on the hold shelf for the holder until `pickup_by`;
 * `fulfilled` (borrowed by the holder), `cancelled` and `expired` are final.
 */
export const holdStatuses = ['waiting', 'ready', 'fulfilled', 'cancelled', 'expired'] as const

/**
 * A reader's place in a book's queue. The queue order is the id among the waiting holds of the book
 * (holds are inserted under a lock on the book's row, so ids follow the order they were placed in):
 * positions are counted, never stored, so a cancel renumbers nothing.
 */
export const holds = mysqlTable('holds', {
  id: id(),
  bookId: ref().notNull().references(() => books.id, { onDelete: 'restrict' }),
  userId: ref().notNull().references(() => users.id, { onDelete: 'restrict' }),
  status: mysqlEnum(holdStatuses).notNull().default('waiting'),
  createdAt: createdAt(),
  readyAt: instant(),
  pickupBy: instant(),
  endedAt: instant(),
  // The book while the hold is active (waiting or ready), NULL once it ended: with the user, a unique
  // key that allows one active hold per user and book, and any number of ended ones.
  activeBookId: ref().generatedAlwaysAs(sql`if(status in ('waiting', 'ready'), book_id, null)`, { mode: 'stored' })
}, (table) => [
  uniqueIndex('holds_one_active_per_user_book').on(table.userId, table.activeBookId),
  // The queue of a book: its waiting holds in id order (InnoDB keeps the primary key in every index).
  index('holds_book_status_idx').on(table.bookId, table.status),
  // The caller's holds, newest first, by status.
  index('holds_user_status_created_idx').on(table.userId, table.status, table.createdAt),
  index('holds_user_created_idx').on(table.userId, table.createdAt),
  // The expiry sweep: ready holds past their pickup date.
  index('holds_status_pickup_idx').on(table.status, table.pickupBy),
  // Holds placed in a statistics window.
  index('holds_created_idx').on(table.createdAt),
  // Only a hold that was ready has a ready date: a waiting one has none; a cancelled one may have either.
  check('holds_ready_at_matches_status', sql`case ${table.status} when 'waiting' then ${table.readyAt} is null when 'cancelled' then true else ${table.readyAt} is not null end`),
  check('holds_pickup_with_ready', sql`(${table.readyAt} is null) = (${table.pickupBy} is null)`),
  check('holds_ended_iff_final', sql`(${table.endedAt} is null) = (${table.status} in ('waiting', 'ready'))`)
])

export type Hold = typeof holds.$inferSelect
export type HoldStatus = Hold['status']
