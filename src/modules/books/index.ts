import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { invalidRequest } from '../../lib/problem.js'
import { noneMatchSatisfied } from '../../lib/conditional.js'
import { IdParams, NoContent, Page, pageOf } from '../../schemas/common.js'
import type { ErrorCodes } from '../../schemas/problems.js'
import { BookSchema } from '../catalogue/index.js'
import { ifMatchCondition } from './etag.js'
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
/** What a PUT or PATCH of a book can be refused with. */
const bookChangeErrors: ErrorCodes = { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['ISBN_TAKEN', 'COPIES_BELOW_BORROWED', 'COPIES_OUT_OF_RANGE'], 412: ['PRECONDITION_FAILED'] }
const BookPage = Page(BookRef)
const NotModified = Type.Null({ description: 'Not Modified: the copy named by If-None-Match is current' })
const ifMatchNote = 'Send `If-Match` with the ETag of the book as you read it: when the book changed since, 412 PRECONDITION_FAILED and nothing changes.'

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

  /** A PUT or PATCH, conditional on `If-Match`; answers the book as it now is, with its new ETag. */
  async function updateAndShow (id: number, request: FastifyRequest, reply: FastifyReply, author: string | undefined, changes: BookChanges) {
    const ifMatch = ifMatchCondition(app.db, request.headers['if-match'])
    await withAuthorNameLock(app.db, app.pool, author, (db) => updateBook(db, app.mailer, id, changes, request.auth, shelfRules, ifMatch))
    const { book, etag } = await readBook(id)
    reply.header('etag', etag)
    return book
  }

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
    config: { auth: 'verified', idempotent: true, errors: { 404: ['NOT_FOUND'], 409: ['ISBN_TAKEN'] } },
    schema: {
      summary: 'Add a book; the caller becomes its owner',
      tags: ['Books'],
      body: BookCreateBody,
      response: { 201: BookRef }
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
    const { book, etag } = await readBook(id)
    return reply.code(201).headers({ location: `/api/books/${id}`, etag }).send(book)
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
    config: { auth: 'public', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Get an active book',
      description: 'Sends an `ETag`; `If-None-Match` with it → 304 while the book is unchanged.',
      tags: ['Books'],
      params: IdParams,
      response: { 200: BookRef, 304: NotModified }
    }
  }, async (request, reply) => {
    const { book, etag } = await readBook(request.params.id)
    reply.header('etag', etag)
    if (noneMatchSatisfied(request.headers['if-none-match'], etag)) return reply.code(304).send(null)
    return book
  })

  app.put('/books/:id', {
    config: { auth: 'bearer', errors: bookChangeErrors },
    schema: {
      summary: 'Replace a book (owner or admin; availableCopies: admin only)',
      description: ifMatchNote,
      tags: ['Books'],
      params: IdParams,
      body: BookReplaceBody,
      response: { 200: BookRef }
    }
  }, async (request, reply) => {
    const body = request.body
    checkAuthorChoice(body, true)
    const changes: BookChanges = {
      ...body,
      isbn: parseIsbn(body.isbn),
      genre: body.genre ?? null,
      publicationDate: body.publicationDate ?? null
    }
    return updateAndShow(request.params.id, request, reply, body.author, changes)
  })

  app.patch('/books/:id', {
    config: { auth: 'bearer', errors: bookChangeErrors },
    schema: {
      summary: 'Change some fields of a book (owner or admin; availableCopies: admin only)',
      description: ifMatchNote,
      tags: ['Books'],
      params: IdParams,
      body: BookPatchBody,
      response: { 200: BookRef }
    }
  }, async (request, reply) => {
    const body = request.body
    checkAuthorChoice(body, false)
    const changes: BookChanges = { ...body, ...(body.isbn === undefined ? {} : { isbn: parseIsbn(body.isbn) }) }
    return updateAndShow(request.params.id, request, reply, body.author, changes)
  })

  app.delete('/books/:id', {
    config: { auth: 'bearer', errors: { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['BOOK_HAS_ACTIVE_BORROWS'], 412: ['PRECONDITION_FAILED'] } },
    schema: {
      summary: 'Soft-delete a book (owner or admin); refused while copies are on loan',
      description: `Its active holds are cancelled and their holders emailed. 409 BOOK_HAS_ACTIVE_BORROWS while copies are out on loan. ${ifMatchNote}`,
      tags: ['Books'],
      params: IdParams,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await softDeleteBook(app.mailer, request.params.id, request.auth, ifMatchCondition(app.db, request.headers['if-match']))
    return reply.code(204).send(null)
  })

  app.post('/admin/books/:id/restore', {
    config: { auth: 'admin', errors: { 404: ['NOT_FOUND'], 409: ['ISBN_TAKEN'] } },
    schema: {
      summary: 'Undo the soft delete of a book (admin)',
      description: 'Idempotent: restoring an active book answers 200 with it. 409 ISBN_TAKEN when another active book has taken its ISBN meanwhile.',
      tags: ['Admin'],
      params: IdParams,
      response: { 200: BookRef }
    }
  }, async (request) => restoreBook(app.db, request.params.id))
}

export default booksModule

export { completeIsbn13 } from './isbn.js'
