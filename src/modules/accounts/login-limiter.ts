import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError } from '../../lib/problem.js'
import { redisFailureStore, sqlFailureStore, type LoginFailureStore } from './login-failure-stores.js'

/**
 * The account a login names, as typed: the email lower-cased, or the username (compared
 * case-insensitively by the database, so lower-cased too), then hashed, so no store holds an email
 * in clear. Keyed by what was typed rather than by the account it resolves to, so the counter of an
 * email and that of a username never tell that both name one account.
 */
export function accountKey (identifier: string): string {
  return createHash('sha256').update(identifier.trim().toLowerCase()).digest('hex')
}

export interface LoginLimiter {
  /**
   * Counts one attempt of the (account, client IP) pair before its password is checked, and answers
   * 429 `RATE_LIMITED` once the pair has made more than `LOGIN_FAILURE_LIMIT` in its window.
   */
  count: (request: FastifyRequest, identifier: string) => Promise<void>
  /** The password was right: the pair's attempts are forgotten (successful logins are not counted). */
  succeeded: (request: FastifyRequest, identifier: string) => Promise<void>
  /** A completed password reset: every counter of the account, by its email and its username, from any IP. */
  clearAccount: (user: { email: string, username: string | null }) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    loginLimiter: LoginLimiter
  }
}

/**
 * `app.loginLimiter`: attempts per (account, IP), in Redis when configured, else in the database, so
 * every instance enforces one limit either way. While Redis is unreachable the limit is skipped, as
 * the other rate limits are (`skipOnError`): logins are served rather than refused for it.
 */
export default fp(async function loginLimiterPlugin (app) {
  const { LOGIN_FAILURE_LIMIT: limit, LOGIN_FAILURE_WINDOW_SECONDS: windowSeconds, RATE_LIMIT_KEY_PREFIX: prefix } = app.config
  const store: LoginFailureStore = app.redis === undefined
    ? sqlFailureStore(app.db, windowSeconds * 1000)
    : redisFailureStore(app.redis, prefix, windowSeconds * 1000)
  const skipOnRedisError = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work()
    } catch (error) {
      if (app.redis === undefined) throw error
      app.log.warn({ err: error }, 'login limiter: redis unavailable, attempt not counted')
      return undefined
    }
  }

  app.decorate('loginLimiter', {
    async count (request, identifier) {
      const counted = await skipOnRedisError(() => store.count(accountKey(identifier), request.ip))
      if (counted === undefined || counted.attempts <= limit) return
      // The database's clock and ours differ by a few ms; a wait is never longer than the window itself.
      const seconds = String(Math.min(windowSeconds, Math.max(1, Math.ceil(counted.resetInMs / 1000))))
      // These headers replace the per-IP bucket's: the limit that refused the request is the pair's.
      throw new ApiError('RATE_LIMITED', 'Too many login attempts for this account from this address; try again later', {
        headers: { 'retry-after': seconds, 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': seconds }
      })
    },
    async succeeded (request, identifier) {
      await skipOnRedisError(() => store.forget(accountKey(identifier), request.ip))
    },
    async clearAccount ({ email, username }) {
      try {
        await store.forgetAccounts([email, ...(username === null ? [] : [username])].map(accountKey))
      } catch (error) {
        // The reset itself has committed; failing its answer now would only make the user try again.
        app.log.warn({ err: error }, 'login limiter: counters not cleared after a password reset')
      }
    }
  } satisfies LoginLimiter)
}, { name: 'login-limiter', dependencies: ['config', 'db', 'redis'] })
