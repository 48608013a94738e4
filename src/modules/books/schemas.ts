import { Type, type Static } from '@sinclair/typebox'
import { DateOnly, Id, PaginationQuery } from '../../schemas/common.js'
import { StringEnum } from '../../lib/string-enum.js'
import { AuthorRefSchema } from '../catalogue/index.js'
import { isbnInputPattern } from './isbn.js'
import { OneLine } from '../../schemas/text.js'
import { example } from '../../schemas/examples.js'

const maxCopies = 1_000_000

const Title = OneLine({ maxLength: 255, description: 'Not blank; no control characters' })
const Isbn = Type.String({
  minLength: 10,
  maxLength: 17,
  pattern: isbnInputPattern,
  description: 'ISBN-10 or ISBN-13; hyphens and spaces allowed; the check digit is verified. Stored and returned as ISBN-13 digits.',
  examples: ['978-0-306-40615-7']
})
const Genre = Type.Union([OneLine({ maxLength: 100 }), Type.Null()])
const PublicationYear = Type.Integer({ minimum: -3000, maximum: 9999 })
const PublicationDate = Type.Union([DateOnly, Type.Null()])
const AuthorName = OneLine({ maxLength: 200, description: 'An author name: the existing author of that name (case-insensitive) or a new one' })
const Copies = Type.Integer({ minimum: 0, maximum: maxCopies })

/** Any integer is accepted so that a value outside the range answers the contract's 409, not a 400. */
const AdminAvailableCopies = Type.Integer({
  minimum: -maxCopies,
  maximum: maxCopies,
  description: 'Admins only: copies on the shelf, 0 … totalCopies − copies on loan (the rest are set aside: lost, in repair); outside → 409 COPIES_OUT_OF_RANGE'
})

const authorChoice = 'Exactly one of `authorId` (an existing author) and `author` (a name, found case-insensitively or created).'

/** What describes a book, shared by create and replace. */
const bookDescription = {
  title: Title,
  isbn: Isbn,
  publicationYear: PublicationYear,
  publicationDate: Type.Optional(PublicationDate),
  genre: Type.Optional(Genre),
  authorId: Type.Optional(Id),
  author: Type.Optional(AuthorName)
}

export const BookCreateBody = Type.Object({
  ...bookDescription,
  totalCopies: Type.Optional(Type.Integer({ minimum: 0, maximum: maxCopies, default: 1 }))
}, { additionalProperties: false, description: authorChoice, examples: [{ ...example.book, totalCopies: 2 }] })

/**
 * PUT replaces the book: `totalCopies` is required (a replacement states the inventory too, so a client
 * cannot think it kept counts it never sent), `genre` and `publicationDate` become null when left out.
 * `availableCopies` (admins only) left out moves with `totalCopies`, as on PATCH.
 */
export const BookReplaceBody = Type.Object({
  ...bookDescription,
  totalCopies: Copies,
  availableCopies: Type.Optional(AdminAvailableCopies)
}, { additionalProperties: false, description: `${authorChoice} totalCopies is required; fields left out that may be null become null; availableCopies left out moves with totalCopies.`, examples: [{ ...example.book, totalCopies: 2 }] })

export const BookPatchBody = Type.Partial(
  Type.Object({ ...bookDescription, totalCopies: Copies, availableCopies: AdminAvailableCopies }),
  { additionalProperties: false, minProperties: 1, description: 'At most one of `authorId` and `author`.', examples: [{ totalCopies: 3 }] }
)

const bookSorts = ['title', '-title', 'publicationYear', '-publicationYear', 'createdAt', '-createdAt', 'rating', '-rating', 'relevance'] as const
export type BookSort = typeof bookSorts[number]

export const BookListQuery = Type.Object({
  ...PaginationQuery.properties,
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Words: a book matches when, for each word, its title or author’s name has a word starting with it (case and accents ignored; any character other than a letter, digit or underscore only separates words). Served by a full-text index; see the README for words of one or two letters.' })),
  genre: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Exact genre' })),
  authorId: Type.Optional(Id),
  yearFrom: Type.Optional(Type.Integer({ minimum: -3000, maximum: 9999, description: 'Publication year, inclusive' })),
  yearTo: Type.Optional(Type.Integer({ minimum: -3000, maximum: 9999, description: 'Publication year, inclusive' })),
  available: Type.Optional(Type.Boolean({ description: 'true: only books with a copy on the shelf; false: only books without one' })),
  sort: Type.Optional(StringEnum(bookSorts, { description: 'A leading `-` sorts descending; `rating` puts unrated books last either way; `relevance` (best matches of `q` first, then by id) is the default with `q`, `-createdAt` otherwise (and for `relevance` without `q`)' }))
})
export type BookListFilters = Static<typeof BookListQuery>

const GenreShelfSchema = Type.Object({
  genre: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'null gathers the books without a genre (listed last)' }),
  availableCopies: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  books: Type.Array(Type.Object({
    id: Id,
    title: Type.String({ maxLength: 255 }),
    author: AuthorRefSchema,
    availableCopies: Type.Integer({ minimum: 1, maximum: maxCopies })
  }, { additionalProperties: false }), { maxItems: 100000 })
}, { additionalProperties: false })

export const AvailableByGenreResponse = Type.Array(GenreShelfSchema, { maxItems: 10000 })
