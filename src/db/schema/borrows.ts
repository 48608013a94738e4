import { sql } from 'drizzle-orm'
import { check, index, mysqlTable, tinyint, uniqueIndex } from 'drizzle-orm/mysql-core'
import { books } from './books.js'
import { createdAt, id, instant, ref } from './columns.js'
import { users } from './users.js'

export const borrows = mysqlTable('borrows', {
  id: id(),
  userId: ref().notNull().references(() => users.id, { onDelete: 'restrict' }),
  bookId: ref().notNull().references(() => books.id, { onDelete: 'restrict' }),
  borrowedAt: instant().notNull(),
  dueAt: instant().notNull(),
  returnedAt: instant(),
  // How many times the loan was extended (POST /api/borrows/:id/renew), up to MAX_RENEWALS.
  renewalCount: tinyint({ unsigned: true }).notNull().default(0),
  // The book while the borrow is open, NULL once returned: with the user, a unique key that allows
  // one open borrow per user and book, and any number of returned ones.
  openBookId: ref().generatedAlwaysAs(sql`if(returned_at is null, book_id, null)`, { mode: 'stored' }),
  createdAt: createdAt()
}, (table) => [
  uniqueIndex('borrows_one_open_per_user_book').on(table.userId, table.openBookId),
  index('borrows_user_borrowed_idx').on(table.userId, table.borrowedAt),
  index('borrows_book_borrowed_idx').on(table.bookId, table.borrowedAt),
  // Covering for the statistics: counts and top lists of borrows made, durations of borrows returned.
  index('borrows_borrowed_book_user_idx').on(table.borrowedAt, table.bookId, table.userId),
  index('borrows_returned_borrowed_idx').on(table.returnedAt, table.borrowedAt),
  // Covering for a window's renewal count: a range of this index instead of the rows (130,000 a month at the bench's scale).
  index('borrows_borrowed_renewals_idx').on(table.borrowedAt, table.renewalCount),
  // Open borrows (returned_at NULL) by due date, for the notices: never reads a returned borrow.
  index('borrows_open_due_idx').on(table.returnedAt, table.dueAt),
  // Not before: LOAN_DAYS=0 lends a book due at once.
  check('borrows_due_after_borrowed', sql`${table.dueAt} >= ${table.borrowedAt}`),
  check('borrows_returned_after_borrowed', sql`${table.returnedAt} is null or ${table.returnedAt} >= ${table.borrowedAt}`)
])

export type Borrow = typeof borrows.$inferSelect
