import type { FastifyInstance } from 'fastify'
import { purgeExpired } from './repository.js'

export const purgeIntervalMs = 60 * 60 * 1000

/**
 * Deletes expired denylist entries, refresh tokens and email tokens, old sent emails and expired
 * idempotency keys, every hour on each instance (the deletes are idempotent, so instances need not take turns).
 */
export function schedulePurge (app: FastifyInstance): void {
  app.scheduler.every('purge', purgeIntervalMs, async () => {
    const [counts, sentEmails, idempotencyKeys] = await Promise.all([purgeExpired(app.db), app.mailer.purgeSent(), app.idempotency.purgeExpired()])
    app.log.debug({ purged: { ...counts, sentEmails, idempotencyKeys } }, 'expired tokens, old sent emails and idempotency keys purged')
  })
}
