import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../../lib/problem.js'

export const failedLoginMax = 10
export const failedLoginWindow = '15 minutes'

export interface LoginLimiter {
  /** Throws 429 RATE_LIMITED (with Retry-After) while the account has used up its failed attempts. */
  check: (request: FastifyRequest, account: string) => Promise<void>
  /** Counts one failed attempt against the account. */
  fail: (request: FastifyRequest, account: string) => Promise<void>
}

/**
 * Failed logins per account (not per IP): after `failedLoginMax` in `failedLoginWindow` the account answers 429 until the
 * window passes; successful logins are not counted. Built on @fastify/rate-limit's `createRateLimit`,
 * so the counters live where the plugin keeps its own (memory, or Redis when configured).
 */
export function createLoginLimiter (app: FastifyInstance): LoginLimiter {
  const accounts = new WeakMap<FastifyRequest, string>()
  const limit = app.createRateLimit({
    max: failedLoginMax,
    timeWindow: failedLoginWindow,
    keyGenerator: (request) => `login-failures:${accounts.get(request) ?? request.ip}`
  })
  return {
    async check (request, account) {
      accounts.set(request, account)
      const state = await limit(request, { increment: false })
      if (!state.isAllowed && state.remaining <= 0 && state.ttl > 0) {
        const seconds = String(Math.max(1, state.ttlInSeconds))
        // These headers replace the per-IP bucket's: the limit that refused the request is the account's.
        throw new ApiError('RATE_LIMITED', 'Too many failed logins for this account; try again later', {
          headers: { 'retry-after': seconds, 'x-ratelimit-limit': String(failedLoginMax), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': seconds }
        })
      }
    },
    async fail (request, account) {
      accounts.set(request, account)
      await limit(request)
    }
  }
}
