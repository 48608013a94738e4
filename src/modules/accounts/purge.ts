import type { FastifyInstance } from 'fastify'
import { purgeExpired } from './repository.js'

export const purgeIntervalMs = 60 * 60 * 1000

/**
 * Deletes expired denylist entries, refresh tokens and email tokens, and old sent emails, every
 * hour on each instance (the deletes are idempotent, so instances need not take turns).
 */
export function schedulePurge (app: FastifyInstance): void {
  app.scheduler.every('purge', purgeIntervalMs, async () => {
    const [counts, sentEmails] = await Promise.all([purgeExpired(app.db), app.mailer.purgeSent()])
    app.log.debug({ purged: { ...counts, sentEmails } }, 'expired tokens and old sent emails purged')
  })
}
