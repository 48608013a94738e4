import type { FastifyInstance } from 'fastify'
import { purgeExpired } from './repository.js'

export const purgeIntervalMs = 60 * 60 * 1000

/**
 * Deletes expired denylist entries, refresh tokens and email tokens, old sent emails and expired
 * idempotency keys, every hour on each instance (the deletes are idempotent). The timer never keeps
 * the process alive and stops with the app.
 */
export function schedulePurge (app: FastifyInstance, intervalMs = purgeIntervalMs): void {
  const timer = setInterval(() => {
    Promise.all([purgeExpired(app.db), app.mailer.purgeSent(), app.idempotency.purgeExpired()])
      .then(([counts, sentEmails, idempotencyKeys]) => app.log.debug({ purged: { ...counts, sentEmails, idempotencyKeys } }, 'expired tokens, old sent emails and idempotency keys purged'))
      .catch((error: unknown) => app.log.warn({ err: error }, 'purging expired tokens failed'))
  }, intervalMs)
  timer.unref()
  app.addHook('onClose', async () => { clearInterval(timer) })
}
