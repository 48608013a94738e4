import { sql } from 'drizzle-orm'
import { check, date, decimal, index, int, mysqlTable, smallint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
import { authors } from './authors.js'
import { createdAt, id, instant, ref, updatedAt } from './columns.js'
import { users } from './users.js'

export const books = mysqlTable('books', {
  id: id(),
  title: varchar({ length: 255 }).notNull(),
  // Always ISBN-13 digits; ISBN-10 input is converted before it gets here.
  isbn: varchar({ length: 13 }).notNull(),
  genre: varchar({ length: 100 }),
  publicationYear: smallint().notNull(),
  publicationDate: date({ mode: 'string' }),
  authorId: ref().notNull().references(() => authors.id, { onDelete: 'restrict' }),
  ownerId: ref().notNull().references(() => users.id, { onDelete: 'restrict' }),
  totalCopies: int({ unsigned: true }).notNull().default(1),
  availableCopies: int({ unsigned: true }).notNull().default(1),
  // Copies out on loan: moved by borrow and return in the same transaction as the borrow row.
  borrowedCopies: int({ unsigned: true }).notNull().default(0),
  // Copies an admin took off the shelf (lost, in repair).
  setAsideCopies: int({ unsigned: true }).notNull().default(0),
  // Review aggregates, kept in the same transaction as each review write so lists can sort by rating.
  ratingSum: int({ unsigned: true }).notNull().default(0),
  reviewCount: int({ unsigned: true }).notNull().default(0),
  averageRating: decimal({ precision: 3, scale: 2, mode: 'number' })
    .generatedAlwaysAs(sql`if(review_count = 0, null, round(rating_sum / review_count, 2))`, { mode: 'stored' }),
  deletedAt: instant(),
  // The ISBN while the book is active, NULL once soft-deleted: its unique key frees a deleted book's ISBN.
  activeIsbn: varchar({ length: 13 })
    .generatedAlwaysAs(sql`if(deleted_at is null, isbn, null)`, { mode: 'stored' }),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  uniqueIndex('books_active_isbn_unique').on(table.activeIsbn),
  index('books_deleted_created_idx').on(table.deletedAt, table.createdAt),
  index('books_deleted_title_idx').on(table.deletedAt, table.title),
  index('books_deleted_year_idx').on(table.deletedAt, table.publicationYear),
  index('books_deleted_rating_idx').on(table.deletedAt, table.averageRating),
  index('books_deleted_genre_rating_idx').on(table.deletedAt, table.genre, table.averageRating),
  index('books_author_idx').on(table.authorId, table.deletedAt),
  index('books_owner_idx').on(table.ownerId, table.deletedAt, table.createdAt),
  check('books_copies_balance', sql`${table.availableCopies} + ${table.borrowedCopies} + ${table.setAsideCopies} = ${table.totalCopies}`),
  check('books_review_count_consistent', sql`${table.ratingSum} between ${table.reviewCount} and 5 * ${table.reviewCount}`),
  check('books_isbn_digits', sql`${table.isbn} regexp '^97[89][0-9]{10}$'`),
  check('books_publication_year_range', sql`${table.publicationYear} between -3000 and 9999`)
])

export type Book = typeof books.$inferSelect
