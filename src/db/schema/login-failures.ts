import { char, index, int, mysqlTable, primaryKey, varchar } from 'drizzle-orm/mysql-core'
import { instant } from './columns.js'

/**
 * Login attempts per (account, client IP) in the current window, where no Redis shares the counters:
 * the account is the SHA-256 of the identifier as typed (normalised), so no email is stored in clear
 * and unknown accounts are counted like known ones.
 */
export const loginFailures = mysqlTable('login_failures', {
  accountHash: char({ length: 64 }).notNull(),
  ip: varchar({ length: 45 }).notNull(),
  attempts: int({ unsigned: true }).notNull(),
  windowEndsAt: instant().notNull()
}, (table) => [
  primaryKey({ columns: [table.accountHash, table.ip] }),
  index('login_failures_window_ends_idx').on(table.windowEndsAt)
])
