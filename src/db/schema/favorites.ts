import { index, mysqlTable, primaryKey } from 'drizzle-orm/mysql-core'
import { books } from './books.js'
import { createdAt, ref } from './columns.js'
import { users } from './users.js'

/** The primary key makes a second favourite of the same book impossible, however many requests race. */
export const favorites = mysqlTable('favorites', {
  userId: ref().notNull().references(() => users.id, { onDelete: 'cascade' }),
  bookId: ref().notNull().references(() => books.id, { onDelete: 'cascade' }),
  createdAt: createdAt()
}, (table) => [
  primaryKey({ name: 'favorites_pk', columns: [table.userId, table.bookId] }),
  index('favorites_user_created_idx').on(table.userId, table.createdAt),
  index('favorites_book_idx').on(table.bookId)
])
