import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Page, pageOf } from '../../schemas/common.js'
import { parseWindow } from '../../schemas/instants.js'
import { adminEmailView, listAdminBooks, listAllBorrows } from './repository.js'
import { AdminBookSchema, AdminBooksQuery, AdminBorrowSchema, AdminBorrowsQuery, AdminEmailSchema, AdminEmailsQuery, StatsQuery, StatsSchema } from './schemas.js'
import { borrowStats } from './stats.js'

const tags = ['Admin']

/** Administration (books with their borrowers, every borrow, the outbox's emails) and borrowing statistics; admins only. */
const adminModule: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/admin/books', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Every book with its borrow count and latest borrowers',
      description: 'Books newest first; `status` picks active (default), soft-deleted or all. Each lists its latest `borrowsPerBook` borrows, newest first.',
      tags,
      querystring: AdminBooksQuery,
      response: { 200: Page(AdminBookSchema) }
    }
  }, async (request) => {
    const { page, pageSize, status, borrowsPerBook } = request.query
    const { items, total } = await listAdminBooks(app.db, { status, borrowsPerBook }, { page, pageSize })
    return pageOf(items, total, { page, pageSize })
  })

  app.get('/admin/borrows', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Every borrow, with its user',
      description: 'Newest first. `from` (inclusive) and `to` (exclusive) bound the borrow date.',
      tags,
      querystring: AdminBorrowsQuery,
      response: { 200: Page(AdminBorrowSchema) }
    }
  }, async (request) => {
    const { page, pageSize, status, userId, bookId } = request.query
    const window = parseWindow(request.query)
    const { items, total } = await listAllBorrows(app.db, { userId, bookId, status, window }, { page, pageSize })
    return pageOf(items, total, { page, pageSize })
  })

  app.get('/admin/emails', {
    config: { auth: 'admin' },
    schema: {
      summary: 'The emails of the outbox in one status (failed by default)',
      description: 'Newest first. `failed` ones were refused for good or not accepted within MAIL_GIVE_UP_SECONDS; `lastError` says why.',
      tags,
      querystring: AdminEmailsQuery,
      response: { 200: Page(AdminEmailSchema) }
    }
  }, async (request) => {
    const { page, pageSize, status } = request.query
    const { items, total } = await app.mailer.list(status, { page, pageSize })
    return pageOf(items.map(adminEmailView), total, { page, pageSize })
  })

  app.get('/stats', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Borrowing statistics',
      description: '`borrowCount`, `topBooks` and `topBorrowers` count the borrows made in the window [from, to); `returnedCount` and `averageBorrowDuration` the borrows returned in it. Without a window: all time.',
      tags,
      querystring: StatsQuery,
      response: { 200: StatsSchema }
    }
  }, async (request) => await borrowStats(app.db, parseWindow(request.query), request.query.limit))
}

export default adminModule
