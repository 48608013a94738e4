import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NoContent, PaginationQuery, pageOf } from '../../schemas/common.js'
import { addFavorite, prepareFavoritesPage, removeFavorite } from './repository.js'
import { BookIdParams, FavoriteBookSchema, FavoritePage } from './schemas.js'

const favoritesModule: FastifyPluginAsyncTypebox = async (app) => {
  const favoritesPage = prepareFavoritesPage(app.db)

  app.get('/favorites', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'List the caller’s favourite books, newest favourite first',
      tags: ['Favorites'],
      querystring: PaginationQuery,
      response: { 200: FavoritePage }
    }
  }, async (request) => {
    const { items, total } = await favoritesPage(request.auth.userId, request.query)
    return pageOf(items, total, request.query)
  })

  app.post('/favorites/:bookId', {
    config: { auth: 'bearer', idempotent: true, errors: { 404: ['NOT_FOUND'], 409: ['ALREADY_FAVORITE'] } },
    schema: {
      summary: 'Make a book a favourite; answers the book with favoritedAt',
      tags: ['Favorites'],
      params: BookIdParams,
      response: { 201: FavoriteBookSchema }
    }
  }, async (request, reply) => {
    return reply.code(201).send(await addFavorite(app.db, request.auth.userId, request.params.bookId))
  })

  app.delete('/favorites/:bookId', {
    config: { auth: 'bearer', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Remove a book from the caller’s favourites',
      tags: ['Favorites'],
      params: BookIdParams,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await removeFavorite(app.db, request.auth.userId, request.params.bookId)
    return reply.code(204).send(null)
  })
}

export default favoritesModule
