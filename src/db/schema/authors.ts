import { date, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { createdAt, id, updatedAt } from './columns.js'

export const authors = mysqlTable('authors', {
  id: id(),
  name: varchar({ length: 200 }).notNull(),
  birthdate: date({ mode: 'string' }),
  nationality: varchar({ length: 100 }),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  index('authors_name_idx').on(table.name),
  // The target of books' (author_id, author_name) foreign key, which keeps their copy of the name in step.
  uniqueIndex('authors_id_name_unique').on(table.id, table.name)
])

export type Author = typeof authors.$inferSelect
