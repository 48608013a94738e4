import type { FastifyInstance } from 'fastify'

/**
 * The per-user hourly borrow limit: one bucket shared by `POST /api/borrows` and
 * `POST /api/books/:id/borrow`. It runs as a preValidation hook, after authentication (the key is the
 * user id) and before validation and the handler, so every borrow request counts, refused ones
 * included; the overall per-IP limit applies on top.
 */
export function borrowRateLimit (app: FastifyInstance) {
  return app.rateLimitBucket({
    name: 'borrow',
    max: app.config.BORROW_RATE_LIMIT_PER_HOUR,
    timeWindow: '1 hour',
    key: (request) => `user:${request.auth.userId}`,
    describe: (max, retryIn) => `At most ${max} borrow requests an hour; retry in ${retryIn} s`
  })
}
