import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError } from '../lib/problem.js'

/** Probes and the documentation are never limited. */
export const rateLimitExemptPaths = ['/health', '/ready', '/docs']

/** Whether a URL (with or without its query) is one of the exempt paths or under one. */
export function isRateLimitExempt (url: string): boolean {
  return rateLimitExemptPaths.some((path) => url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`))
}

export interface BucketOptions {
  /** Names the bucket; routes giving the same name share one. */
  name: string
  max: number
  /** Milliseconds, or a duration such as '1 minute'. */
  timeWindow: number | string
  /** Whose bucket: the client IP unless given (e.g. the authenticated user). */
  key?: (request: FastifyRequest) => string
  /** Says what was limited, in the 429's detail. */
  describe: (max: number, retryInSeconds: number) => string
}

type BucketHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A hook that counts requests in a named bucket on top of the overall limit, and answers 429
     * `RATE_LIMITED` once it is used up. Its x-ratelimit-* headers describe this, stricter, bucket.
     */
    rateLimitBucket: (options: BucketOptions) => BucketHook
  }
}

/**
 * The overall limit, `RATE_LIMIT_MAX` requests a minute per client IP (as `TRUST_PROXY` lets Fastify
 * see it), runs as a root onRequest hook, before any route's own hooks: requests refused by
 * authentication count, and so do unknown routes. Stricter named buckets come from
 * `app.rateLimitBucket`, which the route policy (route-policy.ts) calls once per bucket. Counters live in memory, or in Redis when configured so that every instance
 * enforces one limit; should Redis fail, requests go through rather than hang (`skipOnError`).
 */
export default fp(async function rateLimitPlugin (app) {
  await app.register(rateLimit, {
    global: false,
    max: app.config.RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    ...(app.redis === undefined ? {} : { redis: app.redis, nameSpace: app.config.RATE_LIMIT_KEY_PREFIX }),
    skipOnError: true,
    allowList: (request) => isRateLimitExempt(request.url),
    errorResponseBuilder: (_request, context) => new ApiError('RATE_LIMITED', `Too many requests (limit ${context.max}); retry after ${context.after}`)
  })
  app.addHook('onRequest', app.rateLimit())

  app.decorate('rateLimitBucket', ({ name, max, timeWindow, key = (request) => request.ip, describe }: BucketOptions): BucketHook => {
    const limiter = app.createRateLimit({ max, timeWindow, keyGenerator: (request) => `${name}:${key(request)}` })
    return async function rateLimitBucketHook (request, reply) {
      const state = await limiter(request)
      if (state.isAllowed) return // allow-listed
      reply.header('x-ratelimit-limit', state.max)
      reply.header('x-ratelimit-remaining', state.remaining)
      reply.header('x-ratelimit-reset', state.ttlInSeconds)
      if (state.isExceeded) {
        throw new ApiError('RATE_LIMITED', describe(max, state.ttlInSeconds), { headers: { 'retry-after': String(state.ttlInSeconds) } })
      }
    }
  })
}, { name: 'rate-limit', dependencies: ['config', 'redis'] })
