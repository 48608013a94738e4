import { char, index, mysqlTable } from 'drizzle-orm/mysql-core'
import { createdAt, instant, ref } from './columns.js'
import { users } from './users.js'

/** The access-token denylist: a logged-out token's `jti` stays here until the token would expire. */
export const revokedAccessTokens = mysqlTable('revoked_access_tokens', {
  jti: char({ length: 36 }).primaryKey(),
  userId: ref().notNull().references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: instant().notNull(),
  createdAt: createdAt()
}, (table) => [
  index('revoked_access_tokens_expires_idx').on(table.expiresAt)
])
