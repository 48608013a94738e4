import type { FastifyInstance } from 'fastify'
import { purgeLoginFailures } from './login-failure-stores.js'
import { purgeExpired } from './repository.js'

export const purgeIntervalMs = 60 * 60 * 1000

/**
 * Deletes expired denylist entries, refresh tokens, email tokens and login counters, and old sent emails, every
 * hour on each instance (the deletes are idempotent). The timer never keeps the process alive and
 * stops with the app.
 */
export function schedulePurge (app: FastifyInstance, intervalMs = purgeIntervalMs): void {
  const timer = setInterval(() => {
    Promise.all([purgeExpired(app.db), app.mailer.purgeSent(), purgeLoginFailures(app.db)])
      .then(([counts, sentEmails, loginFailures]) => app.log.debug({ purged: { ...counts, sentEmails, loginFailures } }, 'expired tokens, old sent emails and login counters purged'))
      .catch((error: unknown) => app.log.warn({ err: error }, 'purging expired tokens failed'))
  }, intervalMs)
  timer.unref()
  app.addHook('onClose', async () => { clearInterval(timer) })
}
