import fp from 'fastify-plugin'
import { expireReadyHolds } from './repository.js'

export interface HoldServices {
  /** Expires the ready holds past their pickup date at `now` (default: the current time); returns how many. */
  expireReadyHolds: (now?: Date) => Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    holds: HoldServices
  }
}

/** How often each instance looks for ready holds past their pickup date (the contract: within a minute). */
const sweepIntervalMs = 60_000

/**
 * `app.holds` and the expiry sweep: every instance runs it once a minute (several at once are safe,
 * each hold ends once). The timer starts when the app is ready; on close it stops and the sweep in
 * flight is awaited, so no transaction is cut off by the pool closing.
 */
export default fp(async function holdServices (app) {
  const rules = { pickupDays: app.config.HOLD_PICKUP_DAYS }
  const services: HoldServices = {
    expireReadyHolds: async (now = new Date()) => await expireReadyHolds(app.db, app.mailer, rules, now)
  }
  app.decorate('holds', services)

  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  const sweep = () => {
    running = running.then(() => services.expireReadyHolds())
      .catch((error: unknown) => { app.log.error({ err: error }, 'hold expiry sweep failed') })
  }
  app.addHook('onReady', async () => {
    timer = setInterval(sweep, sweepIntervalMs)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
  })
}, { name: 'hold-services', dependencies: ['config', 'db', 'mail'] })
