import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { noneMatchSatisfied } from '../../lib/conditional.js'
import { IdParams, NoContent, pageOf } from '../../schemas/common.js'
import { authorEtag, deleteAuthor, findAuthor, insertAuthor, listAuthors, updateAuthor } from './repository.js'
import { AuthorBody, AuthorListQuery, AuthorPage, AuthorPatchBody, AuthorSchema } from './schemas.js'

const authorsModule: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/authors', {
    config: { auth: 'public' },
    schema: {
      summary: 'List authors by name, with their number of active books',
      tags: ['Authors'],
      querystring: AuthorListQuery,
      response: { 200: AuthorPage }
    }
  }, async (request) => {
    const { items, total } = await listAuthors(app.db, request.query)
    return pageOf(items, total, request.query)
  })

  app.get('/authors/:id', {
    config: { auth: 'public', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Get an author',
      description: 'Sends an `ETag`; `If-None-Match` with it → 304 while the author (and its number of books) is unchanged.',
      tags: ['Authors'],
      params: IdParams,
      response: { 200: AuthorSchema, 304: Type.Null({ description: 'Not Modified: the copy named by If-None-Match is current' }) }
    }
  }, async (request, reply) => {
    const author = await findAuthor(app.db, request.params.id)
    const etag = authorEtag(author)
    reply.header('etag', etag)
    if (noneMatchSatisfied(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
    return author
  })

  app.post('/authors', {
    config: { auth: 'admin', idempotent: true },
    schema: {
      summary: 'Add an author (admin)',
      tags: ['Authors'],
      body: AuthorBody,
      response: { 201: AuthorSchema }
    }
  }, async (request, reply) => {
    const { name, birthdate = null, nationality = null } = request.body
    const id = await insertAuthor(app.db, { name: name.trim(), birthdate, nationality })
    return reply.code(201).header('location', `/api/authors/${id}`).send(await findAuthor(app.db, id))
  })

  app.put('/authors/:id', {
    config: { auth: 'admin', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Replace an author (admin); birthdate and nationality left out become null',
      tags: ['Authors'],
      params: IdParams,
      body: AuthorBody,
      response: { 200: AuthorSchema }
    }
  }, async (request) => {
    const { name, birthdate = null, nationality = null } = request.body
    await updateAuthor(app.db, request.params.id, { name: name.trim(), birthdate, nationality })
    return findAuthor(app.db, request.params.id)
  })

  app.patch('/authors/:id', {
    config: { auth: 'admin', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Change some fields of an author (admin)',
      tags: ['Authors'],
      params: IdParams,
      body: AuthorPatchBody,
      response: { 200: AuthorSchema }
    }
  }, async (request) => {
    const { name, ...rest } = request.body
    await updateAuthor(app.db, request.params.id, { ...rest, ...(name === undefined ? {} : { name: name.trim() }) })
    return findAuthor(app.db, request.params.id)
  })

  app.delete('/authors/:id', {
    config: { auth: 'admin', errors: { 404: ['NOT_FOUND'], 409: ['AUTHOR_HAS_BOOKS'] } },
    schema: {
      summary: 'Delete an author (admin); refused while any book, deleted ones included, references it',
      tags: ['Authors'],
      params: IdParams,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await deleteAuthor(app.db, request.params.id)
    return reply.code(204).send(null)
  })
}

export default authorsModule
