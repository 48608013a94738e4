import { Type, type Static } from '@sinclair/typebox'
import { Id, PaginationQuery, Timestamp } from '../../schemas/common.js'
import { StringEnum } from '../../lib/string-enum.js'
import { InstantQuery } from '../../schemas/instants.js'
import { AuthorRefSchema } from '../catalogue/index.js'
import { example } from '../../schemas/examples.js'

const borrowStatuses = ['open', 'returned', 'overdue', 'all'] as const
export type BorrowStatus = typeof borrowStatuses[number]

/** A borrow as its borrower (and an admin) sees it. The book stays visible after a soft delete. */
export const BorrowSchema = Type.Object({
  id: Id,
  book: Type.Object({
    id: Id,
    title: Type.String({ maxLength: 255 }),
    genre: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    author: AuthorRefSchema
  }, { additionalProperties: false }),
  borrowedAt: Timestamp,
  dueAt: Timestamp,
  returnedAt: Type.Union([Timestamp, Type.Null()]),
  isReturned: Type.Boolean(),
  overdue: Type.Boolean({ description: 'Not returned and past its due date' }),
  renewalCount: Type.Integer({ minimum: 0, description: 'How many times the loan was renewed (0 when borrowed)' })
}, { additionalProperties: false, title: 'Borrow' })

export type BorrowView = Static<typeof BorrowSchema>

export const BorrowBody = Type.Object({
  bookId: Id
}, { additionalProperties: false, examples: [{ bookId: example.bookId }] })

export const StatusQuery = StringEnum(borrowStatuses, {
  default: 'all',
  description: 'open: not returned; returned; overdue: not returned and past due; all'
})

export const BorrowHistoryQuery = Type.Object({
  ...PaginationQuery.properties,
  status: StatusQuery,
  genre: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Exact genre (case-insensitive)' })),
  authorId: Type.Optional(Id),
  author: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Part of the author name' })),
  bookId: Type.Optional(Id),
  from: Type.Optional(InstantQuery('Borrowed at or after this instant (inclusive)')),
  to: Type.Optional(InstantQuery('Borrowed before this instant (exclusive)'))
})
