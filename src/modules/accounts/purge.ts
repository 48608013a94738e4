import type { FastifyInstance } from 'fastify'
import { purgeLoginFailures } from './login-failure-stores.js'
import { purgeExpired } from './repository.js'

export const purgeIntervalMs = 60 * 60 * 1000

/**
 * Deletes expired denylist entries, refresh tokens, email tokens, login counters and expired idempotency
 * keys, and old sent emails, every hour on each instance (the deletes are idempotent, so instances need
 * not take turns).
 */
export function schedulePurge (app: FastifyInstance): void {
  app.scheduler.every('purge', purgeIntervalMs, async () => {
    const [counts, sentEmails, idempotencyKeys, loginFailures] = await Promise.all([
      purgeExpired(app.db), app.mailer.purgeSent(), app.idempotency.purgeExpired(), purgeLoginFailures(app.db)
    ])
    app.log.debug({ purged: { ...counts, sentEmails, idempotencyKeys, loginFailures } }, 'expired tokens, old sent emails, idempotency keys and login counters purged')
  })
}
