import { Type, type Static } from '@sinclair/typebox'
import { eq } from 'drizzle-orm'
import type { Executor } from '../../db/query-helpers.js'
import { authors, books } from '../../db/schema/index.js'
import { DateOnly, Id, Timestamp } from '../../schemas/common.js'

export const AuthorRefSchema = Type.Object({
  id: Id,
  name: Type.String({ maxLength: 200 })
}, { additionalProperties: false })

/** A book as every route shows it. */
export const BookSchema = Type.Object({
  id: Id,
  title: Type.String({ maxLength: 255 }),
  isbn: Type.String({ pattern: '^97[89][0-9]{10}$', maxLength: 13, description: 'ISBN-13, digits only' }),
  genre: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
  publicationYear: Type.Integer({ minimum: -3000, maximum: 9999 }),
  publicationDate: Type.Union([DateOnly, Type.Null()]),
  author: AuthorRefSchema,
  totalCopies: Type.Integer({ minimum: 0 }),
  availableCopies: Type.Integer({ minimum: 0 }),
  averageRating: Type.Union([Type.Number({ minimum: 1, maximum: 5 }), Type.Null()], { description: 'Rounded to two decimals; null without reviews' }),
  reviewCount: Type.Integer({ minimum: 0 }),
  holdCount: Type.Integer({ minimum: 0, description: 'Waiting holds: readers in the queue for a copy' }),
  ownerId: Id,
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { $id: 'Book', title: 'Book', additionalProperties: false })

export type BookView = Static<typeof BookSchema>

/** The catalogue's schemas that routes of several modules reference by `$id`; `app.ts` registers them at the root. */
export const catalogueSchemas = [BookSchema]

/** The columns a `BookView` is made from; select them from `books` inner-joined with `authors`. */
export const bookViewColumns = {
  id: books.id,
  title: books.title,
  isbn: books.isbn,
  genre: books.genre,
  publicationYear: books.publicationYear,
  publicationDate: books.publicationDate,
  authorId: authors.id,
  authorName: authors.name,
  totalCopies: books.totalCopies,
  availableCopies: books.availableCopies,
  averageRating: books.averageRating,
  reviewCount: books.reviewCount,
  holdCount: books.holdCount,
  ownerId: books.ownerId,
  createdAt: books.createdAt,
  updatedAt: books.updatedAt
}

/** `books` inner-joined with `authors`, selecting `bookViewColumns`; add `.where(…)` and the rest. */
export const selectBookViews = (db: Executor) =>
  db.select(bookViewColumns).from(books).innerJoin(authors, eq(authors.id, books.authorId))

export type BookViewRow = Awaited<ReturnType<typeof selectBookViews>>[number]

/** Spelled out rather than rest/spread: this runs for every book of every page, and a literal is several times faster. */
export function toBookView (row: BookViewRow): BookView {
  return {
    id: row.id,
    title: row.title,
    isbn: row.isbn,
    genre: row.genre,
    publicationYear: row.publicationYear,
    publicationDate: row.publicationDate,
    author: { id: row.authorId, name: row.authorName },
    totalCopies: row.totalCopies,
    availableCopies: row.availableCopies,
    averageRating: row.averageRating === null ? null : Number(row.averageRating),
    reviewCount: row.reviewCount,
    holdCount: row.holdCount,
    ownerId: row.ownerId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString()
  }
}
