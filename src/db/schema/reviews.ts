import { sql } from 'drizzle-orm'
import { check, index, mysqlTable, tinyint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { books } from './books.js'
import { createdAt, id, ref, updatedAt } from './columns.js'
import { users } from './users.js'

export const reviews = mysqlTable('reviews', {
  id: id(),
  userId: ref().notNull().references(() => users.id, { onDelete: 'cascade' }),
  bookId: ref().notNull().references(() => books.id, { onDelete: 'cascade' }),
  rating: tinyint({ unsigned: true }).notNull(),
  comment: varchar({ length: 2000 }),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  uniqueIndex('reviews_user_book_unique').on(table.userId, table.bookId),
  index('reviews_book_created_idx').on(table.bookId, table.createdAt),
  check('reviews_rating_range', sql`${table.rating} between 1 and 5`)
])

export type Review = typeof reviews.$inferSelect
