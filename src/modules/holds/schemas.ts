import { Type, type Static } from '@sinclair/typebox'
import { holdStatuses } from '../../db/schema/index.js'
import { StringEnum } from '../../lib/string-enum.js'
import { Id, PaginationQuery, Timestamp } from '../../schemas/common.js'
import { AuthorRefSchema } from '../catalogue/index.js'

const nullable = <T extends ReturnType<typeof Type.String>>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description })

/** A hold as its holder (and an admin) sees it. */
export const HoldSchema = Type.Object({
  id: Id,
  book: Type.Object({ id: Id, title: Type.String({ maxLength: 255 }), author: AuthorRefSchema }, { additionalProperties: false }),
  user: Type.Object({ id: Id, username: Type.Union([Type.String({ maxLength: 50 }), Type.Null()]) }, { additionalProperties: false }),
  status: StringEnum(holdStatuses, { description: 'waiting in the queue; ready on the hold shelf until pickupBy; fulfilled (borrowed), cancelled or expired' }),
  position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1-based place among the book\'s waiting holds; null unless waiting' }),
  createdAt: Timestamp,
  readyAt: nullable(Timestamp, 'When a copy was put on the hold shelf for it'),
  pickupBy: nullable(Timestamp, 'readyAt + HOLD_PICKUP_DAYS: borrow it before then'),
  endedAt: nullable(Timestamp, 'When it was fulfilled, cancelled or expired')
}, {
  additionalProperties: false,
  title: 'Hold',
  examples: [{
    id: 3,
    book: { id: 42, title: 'The Hobbit', author: { id: 7, name: 'J. R. R. Tolkien' } },
    user: { id: 5, username: 'bilbo' },
    status: 'waiting',
    position: 1,
    createdAt: '2026-12-01T10:00:00.000Z',
    readyAt: null,
    pickupBy: null,
    endedAt: null
  }]
})

export type HoldView = Static<typeof HoldSchema>

const listStatuses = ['active', ...holdStatuses, 'all'] as const
export type HoldListStatus = typeof listStatuses[number]

const StatusFilter = (defaultValue: HoldListStatus) => StringEnum(listStatuses, {
  default: defaultValue,
  description: 'active: waiting or ready; one status; or all'
})

export const HoldListQuery = Type.Object({
  ...PaginationQuery.properties,
  status: StatusFilter('active')
})

export const AdminHoldListQuery = Type.Object({
  ...PaginationQuery.properties,
  status: StatusFilter('all'),
  bookId: Type.Optional(Id),
  userId: Type.Optional(Id)
})
