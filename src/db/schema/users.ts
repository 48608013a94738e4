import { check, index, int, mysqlEnum, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { sql } from 'drizzle-orm'
import { createdAt, id, instant, updatedAt } from './columns.js'

export const userRoles = ['user', 'admin'] as const

export const users = mysqlTable('users', {
  id: id(),
  // Stored lower-cased, so the unique key is case-insensitive whatever the collation.
  email: varchar({ length: 254 }).notNull(),
  username: varchar({ length: 50 }),
  passwordHash: varchar({ length: 60 }).notNull(),
  role: mysqlEnum(userRoles).notNull().default('user'),
  emailVerifiedAt: instant(),
  // Carried in every token as `ver`: logout-all, password change and reset increment it, which voids
  // every token issued before (a counter, unlike a timestamp, has no same-second race).
  tokenVersion: int({ unsigned: true }).notNull().default(0),
  // The user's all-time borrows, kept by triggers on `borrows` (whatever writes a borrow) for the statistics.
  borrowCount: int({ unsigned: true }).notNull().default(0),
  // The renewals of the user's borrows, kept by triggers on `borrows` like borrowCount: all-time
  // statistics read 20,000 users instead of 1,000,000 borrows.
  renewalCount: int({ unsigned: true }).notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  uniqueIndex('users_email_unique').on(table.email),
  uniqueIndex('users_username_unique').on(table.username),
  // All-time top borrowers in index order (most borrows first, ties to the lower id).
  index('users_borrow_count_idx').on(sql`${table.borrowCount} desc`, table.id),
  check('users_email_lowercase', sql`cast(${table.email} as binary) = cast(lower(${table.email}) as binary)`)
])

export type User = typeof users.$inferSelect
