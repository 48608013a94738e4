import { char, index, mysqlEnum, mysqlTable, tinyint, uniqueIndex } from 'drizzle-orm/mysql-core'
import { createdAt, id, instant, ref } from './columns.js'
import { users } from './users.js'

export const emailTokenPurposes = ['verify_email', 'password_reset', 'change_password'] as const

/** One-time links and codes sent by email. Only their SHA-256 is stored. */
export const emailTokens = mysqlTable('email_tokens', {
  id: id(),
  userId: ref().notNull().references(() => users.id, { onDelete: 'cascade' }),
  purpose: mysqlEnum(emailTokenPurposes).notNull(),
  tokenHash: char({ length: 64 }).notNull(),
  expiresAt: instant().notNull(),
  usedAt: instant(),
  failedAttempts: tinyint({ unsigned: true }).notNull().default(0),
  createdAt: createdAt()
}, (table) => [
  uniqueIndex('email_tokens_hash_unique').on(table.tokenHash),
  index('email_tokens_user_purpose_idx').on(table.userId, table.purpose),
  index('email_tokens_expires_idx').on(table.expiresAt)
])

export type EmailToken = typeof emailTokens.$inferSelect
