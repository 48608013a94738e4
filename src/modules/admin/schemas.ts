import { Type, type Static } from '@sinclair/typebox'
import { outboxStatuses } from '../../db/schema/index.js'
import { StringEnum } from '../../lib/string-enum.js'
import { Id, PaginationQuery, Timestamp } from '../../schemas/common.js'
import { InstantQuery } from '../../schemas/instants.js'
import { BorrowSchema, StatusQuery } from '../borrows/index.js'
import { BookSchema } from '../catalogue/index.js'

const UserRefSchema = Type.Object({
  id: Id,
  email: Type.String({ format: 'email', maxLength: 254 }),
  username: Type.Union([Type.String({ maxLength: 50 }), Type.Null()])
}, { additionalProperties: false })

const BookBorrowerSchema = Type.Object({
  borrowId: Id,
  user: UserRefSchema,
  borrowedAt: Timestamp,
  returnedAt: Type.Union([Timestamp, Type.Null()]),
  isReturned: Type.Boolean()
}, { additionalProperties: false })

export const AdminBookSchema = Type.Object({
  ...BookSchema.properties,
  deletedAt: Type.Union([Timestamp, Type.Null()], { description: 'When it was soft-deleted; null while active' }),
  borrowCount: Type.Integer({ minimum: 0, description: 'Every borrow of the book, ever' }),
  borrowers: Type.Array(BookBorrowerSchema, { maxItems: 100, description: 'Its latest borrows, newest first (at most borrowsPerBook)' })
}, { additionalProperties: false, title: 'AdminBook' })

export type AdminBook = Static<typeof AdminBookSchema>

const bookStatuses = ['active', 'deleted', 'all'] as const
export type BookStatus = typeof bookStatuses[number]

export const AdminBooksQuery = Type.Object({
  ...PaginationQuery.properties,
  status: StringEnum(bookStatuses, { default: 'active' }),
  borrowsPerBook: Type.Integer({ minimum: 0, maximum: 100, default: 20, description: 'How many of each book\'s latest borrows to list' })
})

export const AdminBorrowSchema = Type.Object({
  ...BorrowSchema.properties,
  user: UserRefSchema
}, { additionalProperties: false, title: 'AdminBorrow' })

export type AdminBorrow = Static<typeof AdminBorrowSchema>

export const AdminBorrowsQuery = Type.Object({
  ...PaginationQuery.properties,
  userId: Type.Optional(Id),
  bookId: Type.Optional(Id),
  status: StatusQuery,
  from: Type.Optional(InstantQuery('Borrowed at or after this instant (inclusive)')),
  to: Type.Optional(InstantQuery('Borrowed before this instant (exclusive)'))
})

export const StatsQuery = Type.Object({
  from: Type.Optional(InstantQuery('Start of the window (inclusive)')),
  to: Type.Optional(InstantQuery('End of the window (exclusive)')),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Length of topBooks and topBorrowers' })
})

const Count = Type.Integer({ minimum: 0 })

export const StatsSchema = Type.Object({
  period: Type.Object({
    from: Type.Union([Timestamp, Type.Null()]),
    to: Type.Union([Timestamp, Type.Null()])
  }, { additionalProperties: false, description: 'The window asked for; null ends are open (all time)' }),
  borrowCount: Type.Integer({ minimum: 0, description: 'Borrows made in the window' }),
  returnedCount: Type.Integer({ minimum: 0, description: 'Borrows returned in the window' }),
  renewalCount: Type.Integer({ minimum: 0, description: 'Renewals of the borrows made in the window' }),
  holdsPlaced: Type.Integer({ minimum: 0, description: 'Holds placed in the window' }),
  topBooks: Type.Array(Type.Object({
    book: Type.Object({ id: Id, title: Type.String({ maxLength: 255 }) }, { additionalProperties: false }),
    author: Type.Object({ id: Id, name: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
    borrowCount: Count
  }, { additionalProperties: false }), { maxItems: 100, description: 'Most borrowed in the window; ties by id' }),
  topBorrowers: Type.Array(Type.Object({
    user: UserRefSchema,
    borrowCount: Count
  }, { additionalProperties: false }), { maxItems: 100, description: 'Who borrowed most in the window; ties by id' }),
  averageBorrowDuration: Type.Object({
    seconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    days: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: 'Rounded to two decimals' }),
    sampleSize: Count
  }, { additionalProperties: false, description: 'Over the borrows returned in the window; null without any' })
}, { additionalProperties: false, title: 'Stats' })

export type Stats = Static<typeof StatsSchema>

export const AdminEmailSchema = Type.Object({
  id: Id,
  kind: Type.String({ maxLength: 40, description: 'The template: verify_email, password_reset, change_password_code, password_changed…' }),
  recipient: Type.String({ format: 'email', maxLength: 254 }),
  subject: Type.String({ maxLength: 255 }),
  status: StringEnum(outboxStatuses),
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: "The provider's last refusal" }),
  nextAttemptAt: Timestamp,
  sentAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp
}, { additionalProperties: false, title: 'AdminEmail' })

export type AdminEmail = Static<typeof AdminEmailSchema>

export const AdminEmailsQuery = Type.Object({
  ...PaginationQuery.properties,
  status: StringEnum(outboxStatuses, { default: 'failed' })
})
