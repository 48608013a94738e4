import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { invalidRequest } from '../../lib/problem.js'
import { IdParams, NoContent, Page, pageOf, problemResponses } from '../../schemas/common.js'
import { BookSchema } from '../catalogue/index.js'
import { normalizeIsbn } from './isbn.js'
import { listBooks } from './list.js'
import {
  availableByGenre, insertBook, prepareBookRead, restoreBook, softDeleteBook, updateBook, withAuthorNameLock,
  type BookChanges
} from './repository.js'
import {
  AvailableByGenreResponse, BookCreateBody, BookListQuery, BookPatchBody, BookReplaceBody
} from './schemas.js'

const BookRef = Type.Ref(BookSchema)
const BookPage = Page(BookRef)

/** The ISBN-13 digits of a valid ISBN-10/13, or 400 pointing at `/body/isbn`. */
function parseIsbn (input: string): string {
  const isbn = normalizeIsbn(input)
  if (isbn === undefined) {
    throw invalidRequest([{ path: '/body/isbn', message: 'is not a valid ISBN-10 or ISBN-13 (wrong length, characters or check digit)' }])
  }
  return isbn
}

/** `authorId` and `author` exclude each other; creating or replacing a book needs one of them. */
function checkAuthorChoice (body: { authorId?: number | undefined, author?: string | undefined }, required: boolean) {
  const given = Number(body.authorId !== undefined) + Number(body.author !== undefined)
  if (given > 1 || (required && given === 0)) {
    const message = required ? 'must have exactly one of authorId and author' : 'must not have both authorId and author'
    throw invalidRequest([{ path: '/body', message }])
  }
}

const booksModule: FastifyPluginAsyncTypebox = async (app) => {
  const shelfRules = { pickupDays: app.config.HOLD_PICKUP_DAYS }
  const readBook = prepareBookRead(app.db)

  app.get('/books', {
    config: { auth: 'public' },
    schema: {
      summary: 'List active books (filter, sort, paginate)',
      tags: ['Books'],
      querystring: BookListQuery,
      response: { 200: BookPage }
    }
  }, async (request) => {
    const { items, total } = await listBooks(app.db, request.query)
    return pageOf(items, total, request.query)
  })

  app.get('/me/books', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'List the caller’s own active books (same filters as GET /api/books)',
      tags: ['Books'],
      querystring: BookListQuery,
      response: { 200: BookPage }
    }
  }, async (request) => {
    const { items, total } = await listBooks(app.db, request.query, { ownerId: request.auth.userId })
    return pageOf(items, total, request.query)
  })

  app.post('/books', {
    config: { auth: 'verified' },
    schema: {
      summary: 'Add a book; the caller becomes its owner',
      tags: ['Books'],
      body: BookCreateBody,
      response: { 201: BookRef, ...problemResponses(403, 404, 409, 503) }
    }
  }, async (request, reply) => {
    const body = request.body
    checkAuthorChoice(body, true)
    const isbn = parseIsbn(body.isbn)
    const id = await withAuthorNameLock(app.db, app.pool, body.author, (db) => insertBook(db, {
      title: body.title,
      isbn,
      publicationYear: body.publicationYear,
      publicationDate: body.publicationDate ?? null,
      genre: body.genre ?? null,
      totalCopies: body.totalCopies ?? 1,
      ownerId: request.auth.userId
    }, body))
    return reply.code(201).send(await readBook(id))
  })

  app.get('/books/available-by-genre', {
    config: { auth: 'public' },
    schema: {
      summary: 'Books with copies on the shelf, grouped by genre with per-genre totals',
      tags: ['Books'],
      response: { 200: AvailableByGenreResponse }
    }
  }, async () => availableByGenre(app.db))

  app.get('/books/:id', {
    config: { auth: 'public' },
    schema: {
      summary: 'Get an active book',
      tags: ['Books'],
      params: IdParams,
      response: { 200: BookRef, ...problemResponses(404) }
    }
  }, async (request) => readBook(request.params.id))

  app.put('/books/:id', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Replace a book (owner or admin; availableCopies: admin only)',
      tags: ['Books'],
      params: IdParams,
      body: BookReplaceBody,
      response: { 200: BookRef, ...problemResponses(403, 404, 409, 503) }
    }
  }, async (request) => {
    const body = request.body
    checkAuthorChoice(body, true)
    const changes: BookChanges = {
      ...body,
      isbn: parseIsbn(body.isbn),
      genre: body.genre ?? null,
      publicationDate: body.publicationDate ?? null
    }
    await withAuthorNameLock(app.db, app.pool, body.author, (db) => updateBook(db, app.mailer, request.params.id, changes, request.auth, shelfRules))
    return readBook(request.params.id)
  })

  app.patch('/books/:id', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Change some fields of a book (owner or admin; availableCopies: admin only)',
      tags: ['Books'],
      params: IdParams,
      body: BookPatchBody,
      response: { 200: BookRef, ...problemResponses(403, 404, 409, 503) }
    }
  }, async (request) => {
    const body = request.body
    checkAuthorChoice(body, false)
    const changes: BookChanges = { ...body, ...(body.isbn === undefined ? {} : { isbn: parseIsbn(body.isbn) }) }
    await withAuthorNameLock(app.db, app.pool, body.author, (db) => updateBook(db, app.mailer, request.params.id, changes, request.auth, shelfRules))
    return readBook(request.params.id)
  })

  app.delete('/books/:id', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Soft-delete a book (owner or admin); refused while copies are on loan',
      description: 'Its active holds are cancelled and their holders emailed. 409 BOOK_HAS_ACTIVE_BORROWS while copies are out on loan.',
      tags: ['Books'],
      params: IdParams,
      response: { 204: NoContent, ...problemResponses(403, 404, 409) }
    }
  }, async (request, reply) => {
    await softDeleteBook(app.mailer, request.params.id, request.auth)
    return reply.code(204).send(null)
  })

  app.post('/admin/books/:id/restore', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Undo the soft delete of a book (admin)',
      description: 'Idempotent: restoring an active book answers 200 with it. 409 ISBN_TAKEN when another active book has taken its ISBN meanwhile.',
      tags: ['Admin'],
      params: IdParams,
      response: { 200: BookRef, ...problemResponses(403, 404, 409) }
    }
  }, async (request) => restoreBook(app.db, request.params.id))
}

export default booksModule

export { completeIsbn13 } from './isbn.js'
