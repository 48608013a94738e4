import { Type, type Static } from '@sinclair/typebox'
import { Id, Page, Timestamp } from '../../schemas/common.js'
import { Text } from '../../schemas/text.js'
import { example } from '../../schemas/examples.js'

const Rating = Type.Integer({ minimum: 1, maximum: 5 })
const Comment = Type.Union([Text({ maxLength: 2000 }), Type.Null()], { description: 'Up to 2000 characters, tab and line breaks allowed but no other control characters; empty or blank is stored as null' })

export const ReviewSchema = Type.Object({
  id: Id,
  bookId: Id,
  user: Type.Object({
    id: Id,
    username: Type.Union([Type.String({ maxLength: 50 }), Type.Null()])
  }, { additionalProperties: false }),
  rating: Rating,
  comment: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp
}, { additionalProperties: false, title: 'Review' })
export type ReviewView = Static<typeof ReviewSchema>

export const ReviewPage = Page(ReviewSchema)

export const ReviewBody = Type.Object({
  rating: Rating,
  comment: Type.Optional(Comment)
}, { additionalProperties: false, examples: [{ rating: 4, comment: 'A warm, funny adventure.' }] })

export const BookReviewBody = Type.Object({
  bookId: Id,
  rating: Rating,
  comment: Type.Optional(Comment)
}, { additionalProperties: false, examples: [{ bookId: example.bookId, rating: 5, comment: 'A classic.' }] })

/** PUT replaces the review: a comment left out becomes null. */
export const ReviewReplaceBody = ReviewBody
