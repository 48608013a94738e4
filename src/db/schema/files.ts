import { sql } from 'drizzle-orm'
import { bigint, char, check, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { books } from './books.js'
import { createdAt, id, ref, updatedAt } from './columns.js'
import { users } from './users.js'

/** Shared PDFs. The bytes live in storage under `storageKey`, a random id, never the client's name. */
export const files = mysqlTable('files', {
  id: id(),
  ownerId: ref().notNull().references(() => users.id, { onDelete: 'cascade' }),
  bookId: ref().references(() => books.id, { onDelete: 'set null' }),
  filename: varchar({ length: 255 }).notNull(),
  contentType: varchar({ length: 100 }).notNull().default('application/pdf'),
  size: bigint({ mode: 'number', unsigned: true }).notNull(),
  sha256: char({ length: 64 }).notNull(),
  storageKey: char({ length: 36 }).notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  uniqueIndex('files_storage_key_unique').on(table.storageKey),
  index('files_owner_created_idx').on(table.ownerId, table.createdAt),
  index('files_created_idx').on(table.createdAt),
  index('files_book_idx').on(table.bookId),
  check('files_size_positive', sql`${table.size} > 0`)
])

export type StoredFile = typeof files.$inferSelect
