import { sql } from 'drizzle-orm'
import { bigint, check, date, decimal, foreignKey, index, int, mysqlTable, smallint, tinyint, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'
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
  // A copy of the author's name for the full-text index over title and author (an index covers one
  // table): triggers set it on insert and when author_id changes (so no writer can forget it), and the
  // foreign key on (author_id, author_name) both proves it equal and carries a rename to every book.
  authorName: varchar({ length: 200 }).notNull().default(''),
  ownerId: ref().notNull().references(() => users.id, { onDelete: 'restrict' }),
  totalCopies: int({ unsigned: true }).notNull().default(1),
  availableCopies: int({ unsigned: true }).notNull().default(1),
  // Copies out on loan: moved by borrow and return in the same transaction as the borrow row.
  borrowedCopies: int({ unsigned: true }).notNull().default(0),
  // Copies on the hold shelf, kept for the holder of a ready hold: moved in the transactions that
  // make a hold ready, fulfil it, cancel it or let it expire.
  heldCopies: int({ unsigned: true }).notNull().default(0),
  // Waiting holds of the book (the `holdCount` of every Books view), kept by triggers on `holds` in the
  // writing statement's transaction, so the lists read a column rather than count a queue per book.
  holdCount: int({ unsigned: true }).notNull().default(0),
  // Copies an admin took off the shelf (lost, in repair).
  setAsideCopies: int({ unsigned: true }).notNull().default(0),
  // Review aggregates, kept in the same transaction as each review write so lists can sort by rating.
  ratingSum: int({ unsigned: true }).notNull().default(0),
  reviewCount: int({ unsigned: true }).notNull().default(0),
  averageRating: decimal({ precision: 3, scale: 2, mode: 'number' })
    .generatedAlwaysAs(sql`if(review_count = 0, null, round(rating_sum / review_count, 2))`, { mode: 'stored' }),
  // The ascending `rating` sort key: unrated books (NULL) after every rated one, so an index serves it.
  ratingAscKey: decimal({ precision: 3, scale: 2, mode: 'number' })
    .generatedAlwaysAs(sql`coalesce(average_rating, 9.99)`, { mode: 'stored' }),
  // All-time borrowing totals of the book, kept by triggers on `borrows` (whatever writes a borrow) for
  // the statistics: borrows made, borrows returned and their summed whole-second durations. On the
  // book, not the user: a return locks the book's row already, so the totals add no lock to it.
  borrowCount: int({ unsigned: true }).notNull().default(0),
  returnedCount: int({ unsigned: true }).notNull().default(0),
  returnedSeconds: bigint({ mode: 'number', unsigned: true }).notNull().default(0),
  deletedAt: instant(),
  // The ISBN while the book is active, NULL once soft-deleted: its unique key frees a deleted book's ISBN.
  activeIsbn: varchar({ length: 13 })
    .generatedAlwaysAs(sql`if(deleted_at is null, isbn, null)`, { mode: 'stored' }),
  // Bumped by a trigger on every write to the row, whoever writes it (edits, borrows, reviews): the
  // book's ETag, and what `If-Match` compares in the conditional UPDATE (no two writes share a value,
  // as two writes in one millisecond would share `updated_at`).
  version: int({ unsigned: true }).notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (table) => [
  uniqueIndex('books_active_isbn_unique').on(table.activeIsbn),
  // One index per sort of the lists, active books first and the id as the tie-breaker, so a page is
  // read in index order (no sort of the table); the same again behind the owner for /api/me/books.
  index('books_deleted_created_idx').on(table.deletedAt, table.createdAt, table.id),
  index('books_deleted_title_idx').on(table.deletedAt, table.title, table.id),
  index('books_deleted_year_idx').on(table.deletedAt, table.publicationYear, table.id),
  index('books_deleted_rating_idx').on(table.deletedAt, table.averageRating, table.id),
  index('books_deleted_rating_asc_idx').on(table.deletedAt, table.ratingAscKey, table.id),
  index('books_deleted_genre_rating_idx').on(table.deletedAt, table.genre, table.averageRating),
  index('books_author_idx').on(table.authorId, table.deletedAt),
  // All-time top books in index order (most borrowed first, ties to the lower id), and covering for
  // the all-time sums, so they read this index rather than the books' rows.
  index('books_borrow_count_idx').on(sql`${table.borrowCount} desc`, table.id, table.returnedCount, table.returnedSeconds),
  index('books_owner_idx').on(table.ownerId, table.deletedAt, table.createdAt, table.id),
  index('books_owner_title_idx').on(table.ownerId, table.deletedAt, table.title, table.id),
  index('books_owner_year_idx').on(table.ownerId, table.deletedAt, table.publicationYear, table.id),
  index('books_owner_rating_idx').on(table.ownerId, table.deletedAt, table.averageRating, table.id),
  index('books_owner_rating_asc_idx').on(table.ownerId, table.deletedAt, table.ratingAscKey, table.id),
  foreignKey({ name: 'books_author_name_fk', columns: [table.authorId, table.authorName], foreignColumns: [authors.id, authors.name] })
    .onUpdate('cascade').onDelete('restrict'),
  check('books_copies_balance', sql`${table.availableCopies} + ${table.borrowedCopies} + ${table.heldCopies} + ${table.setAsideCopies} = ${table.totalCopies}`),
  check('books_review_count_consistent', sql`${table.ratingSum} between ${table.reviewCount} and 5 * ${table.reviewCount}`),
  check('books_isbn_digits', sql`${table.isbn} regexp '^97[89][0-9]{10}$'`),
  check('books_publication_year_range', sql`${table.publicationYear} between -3000 and 9999`)
])

export type Book = typeof books.$inferSelect
/**
 * One row: how many books are active, kept by triggers on `books` (insert, soft delete, restore,
 * delete) in the writing statement's transaction, so the unfiltered catalogue's total is one row
 * read rather than a count over every active book.
 */
export const bookTotals = mysqlTable('book_totals', {
  id: tinyint({ unsigned: true }).primaryKey(),
  activeBooks: int({ unsigned: true }).notNull().default(0)
}, (table) => [
  check('book_totals_one_row', sql`${table.id} = 1`)
])
