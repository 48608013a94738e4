import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '../../lib/problem.js'
import { IdParams, Page, pageOf, problemResponses } from '../../schemas/common.js'
import { parseWindow } from '../../schemas/instants.js'
import type { Caller } from '../catalogue/index.js'
import { borrowBook, findBorrowView, findOpenBorrowId, listBorrows, returnBorrow, toBorrowView } from './repository.js'
import { renewBorrow } from './renewal.js'
import { BorrowBody, BorrowHistoryQuery, BorrowSchema } from './schemas.js'

const tags = ['Borrows']

/** Borrowing and returning copies, and the caller's borrow history. */
const borrowsModule: FastifyPluginAsyncTypebox = async (app) => {
  const rules = { maxOpenBorrows: app.config.MAX_OPEN_BORROWS, loanDays: app.config.LOAN_DAYS }
  const renewalRules = { maxRenewals: app.config.MAX_RENEWALS, loanDays: app.config.LOAN_DAYS }
  const shelfRules = { pickupDays: app.config.HOLD_PICKUP_DAYS }
  const borrowErrors = problemResponses(403, 404, 409)
  const rateLimitNote = `At most ${app.config.BORROW_RATE_LIMIT_PER_HOUR} borrow requests an hour per user, over both borrow routes, refused ones included (429 RATE_LIMITED).`

  async function borrowAndShow (userId: number, bookId: number) {
    return await show(await borrowBook(app.db, userId, bookId, rules))
  }

  async function show (borrowId: number) {
    const row = await findBorrowView(app.db, borrowId)
    if (row === undefined) throw notFound('Borrow')
    return toBorrowView(row)
  }

  async function returnAndShow (borrowId: number, caller: Caller) {
    await returnBorrow(app.db, app.mailer, borrowId, caller, shelfRules)
    return await show(borrowId)
  }

  app.post('/borrows', {
    config: { auth: 'verified', limit: 'borrow' },
    schema: {
      summary: 'Borrow a copy of a book',
      description: `Takes one copy off the shelf for LOAN_DAYS days. 409 NO_COPIES_AVAILABLE when none is on the shelf, ALREADY_BORROWED when the caller already has this book, BORROW_LIMIT_REACHED at MAX_OPEN_BORROWS open borrows. ${rateLimitNote}`,
      tags,
      body: BorrowBody,
      response: { 201: BorrowSchema, ...borrowErrors }
    }
  }, async (request, reply) => {
    reply.code(201)
    return await borrowAndShow(request.auth.userId, request.body.bookId)
  })

  app.post('/books/:id/borrow', {
    config: { auth: 'verified', limit: 'borrow' },
    schema: {
      summary: 'Borrow a copy of this book',
      description: `The same as POST /api/borrows, addressed by book. ${rateLimitNote}`,
      tags,
      params: IdParams,
      response: { 201: BorrowSchema, ...borrowErrors }
    }
  }, async (request, reply) => {
    reply.code(201)
    return await borrowAndShow(request.auth.userId, request.params.id)
  })

  app.post('/borrows/:id/return', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Return a borrow',
      description: 'By its borrower or an admin. Another user\'s borrow is 404; a returned one 409 ALREADY_RETURNED.',
      tags,
      params: IdParams,
      response: { 200: BorrowSchema, ...problemResponses(404, 409) }
    }
  }, async (request) => await returnAndShow(request.params.id, request.auth))

  app.post('/borrows/:id/renew', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Renew a borrow',
      description: `By its borrower or an admin; another user's borrow is 404. dueAt becomes the later of now and the current dueAt, plus LOAN_DAYS (${app.config.LOAN_DAYS}), and renewalCount goes up by one. 409 ALREADY_RETURNED for a returned borrow, RENEWAL_LIMIT_REACHED after MAX_RENEWALS (${app.config.MAX_RENEWALS}) renewals, BOOK_ON_HOLD while someone waits for the book.`,
      tags,
      params: IdParams,
      response: { 200: BorrowSchema, ...problemResponses(404, 409) }
    }
  }, async (request) => {
    await renewBorrow(app.db, request.params.id, request.auth, renewalRules)
    return await show(request.params.id)
  })

  app.post('/books/:id/return', {
    config: { auth: 'verified' },
    schema: {
      summary: 'Return your copy of this book',
      description: 'Returns the caller\'s open borrow of the book; 404 when the caller has none.',
      tags,
      params: IdParams,
      response: { 200: BorrowSchema, ...problemResponses(403, 404, 409) }
    }
  }, async (request) => {
    const borrowId = await findOpenBorrowId(app.db, request.auth.userId, request.params.id)
    if (borrowId === undefined) throw notFound('Open borrow of this book')
    return await returnAndShow(borrowId, request.auth)
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
