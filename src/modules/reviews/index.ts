import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, NoContent, PaginationQuery, pageOf } from '../../schemas/common.js'
import { createReview, deleteReview, listReviews, normalizeComment, updateReview } from './repository.js'
import { BookReviewBody, ReviewBody, ReviewPage, ReviewReplaceBody, ReviewSchema } from './schemas.js'

const reviewsModule: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/book/review', {
    config: { auth: 'verified', idempotent: true, errors: { 404: ['NOT_FOUND'], 409: ['ALREADY_REVIEWED'] } },
    schema: {
      summary: 'Review a book (one review per user and book)',
      tags: ['Reviews'],
      body: BookReviewBody,
      response: { 201: ReviewSchema }
    }
  }, async (request, reply) => {
    const { bookId, rating, comment } = request.body
    reply.code(201)
    return await createReview(app.db, request.auth.userId, bookId, rating, normalizeComment(comment), app.idempotency.recorder(request))
  })

  app.get('/books/:id/reviews', {
    config: { auth: 'public', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'List a book’s reviews, newest first',
      tags: ['Reviews'],
      params: IdParams,
      querystring: PaginationQuery,
      response: { 200: ReviewPage }
    }
  }, async (request) => {
    const { items, total } = await listReviews(app.db, request.params.id, request.query)
    return pageOf(items, total, request.query)
  })

  app.post('/books/:id/reviews', {
    config: { auth: 'verified', idempotent: true, errors: { 404: ['NOT_FOUND'], 409: ['ALREADY_REVIEWED'] } },
    schema: {
      summary: 'Review a book (one review per user and book)',
      tags: ['Reviews'],
      params: IdParams,
      body: ReviewBody,
      response: { 201: ReviewSchema }
    }
  }, async (request, reply) => {
    const { rating, comment } = request.body
    reply.code(201)
    return await createReview(app.db, request.auth.userId, request.params.id, rating, normalizeComment(comment), app.idempotency.recorder(request))
  })

  app.put('/reviews/:id', {
    config: { auth: 'bearer', errors: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Edit your review (author only); a comment left out becomes null',
      tags: ['Reviews'],
      params: IdParams,
      body: ReviewReplaceBody,
      response: { 200: ReviewSchema }
    }
  }, async (request) => {
    const { rating, comment } = request.body
    return updateReview(app.db, request.params.id, request.auth, rating, normalizeComment(comment))
  })

  app.delete('/reviews/:id', {
    config: { auth: 'bearer', errors: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Delete a review (its author or an admin)',
      tags: ['Reviews'],
      params: IdParams,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await deleteReview(app.db, request.params.id, request.auth)
    return reply.code(204).send(null)
  })
}

export default reviewsModule
