import { Type, type Static } from '@sinclair/typebox'
import { DateOnly, Id, PaginationQuery, Page } from '../../schemas/common.js'
import { OneLine } from '../../schemas/text.js'
import { example } from '../../schemas/examples.js'

const Name = OneLine({ maxLength: 200 })
const Birthdate = Type.Union([DateOnly, Type.Null()])
const Nationality = Type.Union([OneLine({ maxLength: 100 }), Type.Null()])

export const AuthorSchema = Type.Object({
  id: Id,
  name: Type.String({ maxLength: 200 }),
  birthdate: Birthdate,
  nationality: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
  bookCount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Active (not deleted) books by this author' })
}, { additionalProperties: false, title: 'Author' })
export type AuthorView = Static<typeof AuthorSchema>

export const AuthorPage = Page(AuthorSchema)

export const AuthorListQuery = Type.Object({
  ...PaginationQuery.properties,
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Part of the name (case-insensitive)' }))
})
export type AuthorListFilters = Static<typeof AuthorListQuery>

/** POST and PUT: PUT replaces, so `birthdate` and `nationality` become null when left out. */
export const AuthorBody = Type.Object({
  name: Name,
  birthdate: Type.Optional(Birthdate),
  nationality: Type.Optional(Nationality)
}, { additionalProperties: false, examples: [example.author] })

export const AuthorPatchBody = Type.Object({
  name: Type.Optional(Name),
  birthdate: Type.Optional(Birthdate),
  nationality: Type.Optional(Nationality)
}, { additionalProperties: false, minProperties: 1, examples: [{ nationality: example.author.nationality }] })
export type AuthorPatch = Static<typeof AuthorPatchBody>
