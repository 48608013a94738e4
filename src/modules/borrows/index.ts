import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Transaction } from '../../db/query-helpers.js'
import { notFound } from '../../lib/problem.js'
import { IdParams, Page, pageOf } from '../../schemas/common.js'
import { parseWindow } from '../../schemas/instants.js'
import type { ErrorCodes } from '../../schemas/problems.js'
import { borrowBook, findBorrowView, findBorrowViewFor, findOpenBorrowId, listBorrows, returnBorrow, toBorrowView } from './repository.js'
import { renewBorrow } from './renewal.js'
import { BorrowBody, BorrowHistoryQuery, BorrowSchema } from './schemas.js'

const tags = ['Borrows']
const borrowErrors: ErrorCodes = { 404: ['NOT_FOUND'], 409: ['NO_COPIES_AVAILABLE', 'ALREADY_BORROWED', 'BORROW_LIMIT_REACHED'] }
const returnErrors: ErrorCodes = { 404: ['NOT_FOUND'], 409: ['ALREADY_RETURNED'] }

/** Borrowing and returning copies, and the caller's borrow history. */
const borrowsModule: FastifyPluginAsyncTypebox = async (app) => {
  const rules = { maxOpenBorrows: app.config.MAX_OPEN_BORROWS, loanDays: app.config.LOAN_DAYS }
  const renewalRules = { maxRenewals: app.config.MAX_RENEWALS, loanDays: app.config.LOAN_DAYS }
  const shelfRules = { pickupDays: app.config.HOLD_PICKUP_DAYS }
  const rateLimitNote = `At most ${app.config.BORROW_RATE_LIMIT_PER_HOUR} borrow requests an hour per user, over both borrow routes, refused ones included (429 RATE_LIMITED).`

  /** The borrow as answered, read in the transaction that made the change and recorded for a retry there. */
  async function answerWith (request: FastifyRequest, tx: Transaction, borrowId: number) {
    const row = await findBorrowView(tx, borrowId)
    if (row === undefined) throw notFound('Borrow')
    const view = toBorrowView(row)
    await app.idempotency.recorder(request)(tx, view)
    return view
  }

  const borrowAndShow = async (request: FastifyRequest, reply: FastifyReply, bookId: number) =>
    await borrowBook(app.db, request.auth.userId, bookId, rules, async (tx, id) => {
      // Set before the answer is recorded, so a replay carries the Location too.
      reply.code(201).header('location', `/api/borrows/${id}`)
      return await answerWith(request, tx, id)
    })

  const returnAndShow = async (request: FastifyRequest, borrowId: number) =>
    await returnBorrow(app.db, app.mailer, borrowId, request.auth, shelfRules, (tx) => answerWith(request, tx, borrowId))

  app.post('/borrows', {
    config: { auth: 'verified', limit: 'borrow', idempotent: true, errors: borrowErrors },
    schema: {
      summary: 'Borrow a copy of a book',
      description: `Takes one copy off the shelf for LOAN_DAYS days. 409 NO_COPIES_AVAILABLE when none is on the shelf, ALREADY_BORROWED when the caller already has this book, BORROW_LIMIT_REACHED at MAX_OPEN_BORROWS open borrows. ${rateLimitNote}`,
      tags,
      body: BorrowBody,
      response: { 201: BorrowSchema }
    }
  }, async (request, reply) => {
    return await borrowAndShow(request, reply, request.body.bookId)
  })

  app.post('/books/:id/borrow', {
    config: { auth: 'verified', limit: 'borrow', idempotent: true, errors: borrowErrors },
    schema: {
      summary: 'Borrow a copy of this book',
      description: `The same as POST /api/borrows, addressed by book. ${rateLimitNote}`,
      tags,
      params: IdParams,
      response: { 201: BorrowSchema }
    }
  }, async (request, reply) => {
    return await borrowAndShow(request, reply, request.params.id)
  })

  app.get('/borrows/:id', {
    config: { auth: 'bearer', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'Get a borrow',
      description: 'By its borrower or an admin; anyone else\'s borrow is 404 (its existence does not leak).',
      tags,
      params: IdParams,
      response: { 200: BorrowSchema }
    }
  }, async (request) => {
    const row = await findBorrowViewFor(app.db, request.params.id, request.auth)
    if (row === undefined) throw notFound('Borrow')
    return toBorrowView(row)
  })

  app.post('/borrows/:id/return', {
    config: { auth: 'bearer', idempotent: true, errors: returnErrors },
    schema: {
      summary: 'Return a borrow',
      description: 'By its borrower or an admin. Another user\'s borrow is 404; a returned one 409 ALREADY_RETURNED.',
      tags,
      params: IdParams,
      response: { 200: BorrowSchema }
    }
  }, async (request) => await returnAndShow(request, request.params.id))

  app.post('/borrows/:id/renew', {
    config: { auth: 'bearer', idempotent: true, errors: { 404: ['NOT_FOUND'], 409: ['ALREADY_RETURNED', 'RENEWAL_LIMIT_REACHED', 'BOOK_ON_HOLD'] } },
    schema: {
      summary: 'Renew a borrow',
      description: `By its borrower or an admin; another user's borrow is 404. dueAt becomes the later of now and the current dueAt, plus LOAN_DAYS (${app.config.LOAN_DAYS}), and renewalCount goes up by one. 409 ALREADY_RETURNED for a returned borrow, RENEWAL_LIMIT_REACHED after MAX_RENEWALS (${app.config.MAX_RENEWALS}) renewals, BOOK_ON_HOLD while someone waits for the book.`,
      tags,
      params: IdParams,
      response: { 200: BorrowSchema }
    }
  }, async (request) => await renewBorrow(app.db, request.params.id, request.auth, renewalRules, (tx) => answerWith(request, tx, request.params.id)))

  app.post('/books/:id/return', {
    config: { auth: 'verified', idempotent: true, errors: returnErrors },
    schema: {
      summary: 'Return your copy of this book',
      description: 'Returns the caller\'s open borrow of the book; 404 when the caller has none.',
      tags,
      params: IdParams,
      response: { 200: BorrowSchema }
    }
  }, async (request) => {
    const borrowId = await findOpenBorrowId(app.db, request.auth.userId, request.params.id)
    if (borrowId === undefined) throw notFound('Open borrow of this book')
    return await returnAndShow(request, borrowId)
  })

  app.get('/borrows', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Your borrow history',
      description: 'The caller\'s borrows, newest first. `from` (inclusive) and `to` (exclusive) bound the borrow date.',
      tags,
      querystring: BorrowHistoryQuery,
      response: { 200: Page(BorrowSchema) }
    }
  }, async (request) => {
    const { page, pageSize, status, genre, authorId, author, bookId } = request.query
    const window = parseWindow(request.query)
    const now = new Date()
    const { rows, total } = await listBorrows(app.db, { userId: request.auth.userId, status, genre, authorId, author, bookId, window }, { page, pageSize }, now)
    return pageOf(rows.map((row) => toBorrowView(row, now)), total, { page, pageSize })
  })
}

export default borrowsModule

export { borrowPageIds, borrowViewColumns, countBorrows, toBorrowView, type BorrowFilters } from './repository.js'
export { BorrowSchema, StatusQuery } from './schemas.js'
export { borrowBuckets } from './rate-limit.js'
