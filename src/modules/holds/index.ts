import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, NoContent, Page, pageOf } from '../../schemas/common.js'
import { cancelHold, getHoldView, listHolds, placeHold } from './repository.js'
import { AdminHoldListQuery, HoldListQuery, HoldSchema } from './schemas.js'

const tags = ['Holds']

/** Holds (reservations): a first-come-first-served queue per book, and the hold shelf. */
const holdsModule: FastifyPluginAsyncTypebox = async (app) => {
  const rules = { pickupDays: app.config.HOLD_PICKUP_DAYS }

  app.post('/books/:id/holds', {
    config: { auth: 'verified', idempotent: true, errors: { 404: ['NOT_FOUND'], 409: ['COPIES_AVAILABLE', 'ALREADY_ON_HOLD', 'ALREADY_BORROWED', 'HOLD_LIMIT_REACHED'] } },
    schema: {
      summary: 'Place a hold on a book',
      description: `Joins the book's queue (status waiting, with its position). Only while no copy is on the shelf (409 COPIES_AVAILABLE: borrow it instead); 409 ALREADY_ON_HOLD when the caller already has an active hold on it, ALREADY_BORROWED while the caller has it on loan, HOLD_LIMIT_REACHED at ${app.config.MAX_ACTIVE_HOLDS} active holds. When a copy comes back, the first waiting hold becomes ready, its holder is emailed and has ${app.config.HOLD_PICKUP_DAYS} days to borrow it.`,
      tags,
      params: IdParams,
      response: { 201: HoldSchema }
    }
  }, async (request, reply) => {
    const id = await placeHold(app.db, request.auth.userId, request.params.id, app.config.MAX_ACTIVE_HOLDS)
    reply.code(201).header('location', `/api/holds/${id}`)
    return await getHoldView(app.db, id, request.auth)
  })

  app.get('/holds', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Your holds',
      description: 'The caller\'s holds, newest first; `status` active (waiting or ready, the default), one status, or all.',
      tags,
      querystring: HoldListQuery,
      response: { 200: Page(HoldSchema) }
    }
  }, async (request) => {
    const { page, pageSize, status } = request.query
    const { items, total } = await listHolds(app.db, { userId: request.auth.userId, status }, { page, pageSize })
    return pageOf(items, total, { page, pageSize })
  })

  app.get('/holds/:id', {
    config: { auth: 'bearer', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'One hold',
      description: 'By its holder or an admin; anyone else\'s is 404.',
      tags,
      params: IdParams,
      response: { 200: HoldSchema }
    }
  }, async (request) => await getHoldView(app.db, request.params.id, request.auth))

  app.delete('/holds/:id', {
    config: { auth: 'bearer', errors: { 404: ['NOT_FOUND'], 409: ['HOLD_NOT_ACTIVE'] } },
    schema: {
      summary: 'Cancel a hold',
      description: 'By its holder or an admin; anyone else\'s is 404; one that already ended 409 HOLD_NOT_ACTIVE. A ready hold\'s copy goes to the next waiting hold, or back to the shelf.',
      tags,
      params: IdParams,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await cancelHold(app.db, app.mailer, request.params.id, request.auth, rules)
    return reply.code(204).send(null)
  })

  app.get('/admin/holds', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Every hold (admin)',
      description: 'Newest first; filters bookId, userId and status (all by default).',
      tags: ['Admin', ...tags],
      querystring: AdminHoldListQuery,
      response: { 200: Page(HoldSchema) }
    }
  }, async (request) => {
    const { page, pageSize, ...filters } = request.query
    const { items, total } = await listHolds(app.db, filters, { page, pageSize })
    return pageOf(items, total, { page, pageSize })
  })
}

export default holdsModule

export { default as holdServices, type HoldServices } from './services.js'
export { cancelHoldsOfBook, fulfilReadyHold, hasWaitingHold, lockBookCopies, promoteWaitingHolds, type ShelfRules } from './shelf.js'
