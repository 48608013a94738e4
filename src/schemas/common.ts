import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { problemStatus } from '../lib/problem.js'
import { StringEnum } from '../lib/string-enum.js'

/** RFC 9457 problem details, the body of every error. Registered once and referenced by `$id`. */
export const ProblemSchema = Type.Object({
  type: Type.String({ maxLength: 200, description: 'A URN naming the kind of problem' }),
  title: Type.String({ maxLength: 100 }),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String({ maxLength: 2000 }),
  code: StringEnum(Object.keys(problemStatus), { description: 'Stable UPPER_SNAKE identifier' }),
  errors: Type.Optional(Type.Array(Type.Object({
    path: Type.String({ maxLength: 500, description: 'Where the value is, e.g. /body/email' }),
    message: Type.String({ maxLength: 500 })
  }, { additionalProperties: false }), { maxItems: 100 }))
}, { $id: 'Problem', title: 'Problem', additionalProperties: false })

export const ProblemRef = Type.Ref(ProblemSchema)

const problemDescriptions: Record<number, string> = {
  400: 'Invalid request (VALIDATION_FAILED)',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Not allowed (FORBIDDEN, EMAIL_NOT_VERIFIED)',
  404: 'No such resource (NOT_FOUND)',
  409: 'Conflicts with the current state',
  413: 'Body too large (PAYLOAD_TOO_LARGE)',
  414: 'A path segment is too long (URI_TOO_LONG)',
  415: 'Unsupported content (UNSUPPORTED_MEDIA_TYPE)',
  416: 'Range not satisfiable (RANGE_NOT_SATISFIABLE)',
  429: 'Rate limit exceeded (RATE_LIMITED)',
  500: 'Unexpected failure (INTERNAL)',
  503: 'A dependency is unavailable (SERVICE_UNAVAILABLE)'
}

/** Problem responses for the given statuses, for a route's `response` schema. */
export function problemResponses<const Status extends number> (...statuses: Status[]) {
  return Object.fromEntries(statuses.map((status) => [
    status,
    Type.Ref(ProblemSchema, { description: problemDescriptions[status] ?? 'Error' })
  ])) as Record<Status, typeof ProblemRef>
}

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
export const IdParams = Type.Object({ id: Id })
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40, description: 'ISO 8601, UTC' })
export const DateOnly = Type.String({ format: 'date', maxLength: 10, description: 'YYYY-MM-DD' })

export const PaginationQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 100000, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 })
})
export type Pagination = Static<typeof PaginationQuery>

/** The list envelope of the contract: `{ items, page, pageSize, total, totalPages }`. */
export function Page<Item extends TSchema> (item: Item, options: { title?: string } = {}) {
  return Type.Object({
    items: Type.Array(item, { maxItems: 100 }),
    page: Type.Integer({ minimum: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 100 }),
    total: Type.Integer({ minimum: 0 }),
    totalPages: Type.Integer({ minimum: 0 })
  }, { additionalProperties: false, ...options })
}

export function pageOf<Item> (items: Item[], total: number, { page, pageSize }: Pagination) {
  return { items, page, pageSize, total, totalPages: Math.ceil(total / pageSize) }
}

/** Offset of a page, for `LIMIT pageSize OFFSET …`. */
export const pageOffset = ({ page, pageSize }: Pagination) => (page - 1) * pageSize

export const NoContent = Type.Null({ description: 'No content' })
