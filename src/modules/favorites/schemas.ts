import { Type, type Static } from '@sinclair/typebox'
import { Id, Page, Timestamp } from '../../schemas/common.js'
import { BookSchema } from '../catalogue/index.js'

/** A book as everywhere else, plus when the caller made it a favourite. */
export const FavoriteBookSchema = Type.Object({
  ...BookSchema.properties,
  favoritedAt: Timestamp
}, { additionalProperties: false, title: 'FavoriteBook' })
export type FavoriteBook = Static<typeof FavoriteBookSchema>

export const FavoritePage = Page(FavoriteBookSchema)

export const BookIdParams = Type.Object({ bookId: Id })
