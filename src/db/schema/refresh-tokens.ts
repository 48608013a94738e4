import { char, index, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core'
import { createdAt, id, instant, ref } from './columns.js'
import { users } from './users.js'

/**
 * Issued refresh tokens, keyed by their `jti`. Tokens of one login share a family: each refresh spends
 * one token and issues the next; a spent token presented again revokes the whole family.
 */
export const refreshTokens = mysqlTable('refresh_tokens', {
  id: id(),
  jti: char({ length: 36 }).notNull(),
  familyId: char({ length: 36 }).notNull(),
  userId: ref().notNull().references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: instant().notNull(),
  spentAt: instant(),
  revokedAt: instant(),
  createdAt: createdAt()
}, (table) => [
  uniqueIndex('refresh_tokens_jti_unique').on(table.jti),
  index('refresh_tokens_family_idx').on(table.familyId),
  index('refresh_tokens_user_idx').on(table.userId),
  index('refresh_tokens_expires_idx').on(table.expiresAt)
])

export type RefreshToken = typeof refreshTokens.$inferSelect
