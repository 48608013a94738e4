import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import RedisStore from '@fastify/rate-limit/store/RedisStore.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { ApiError } from '../lib/problem.js'

/** Probes, the metrics scrape and the documentation are never limited. */
export const rateLimitExemptPaths = ['/health', '/ready', '/metrics', '/docs']

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

/** What `createRateLimit`'s limiter reports for a request. */
interface LimiterState {
  isAllowed: boolean
  isExceeded: boolean
  max: number
  remaining: number
  timeWindow: number
  ttlInSeconds: number
}

/** A list-valued header with one more member (RFC 9110 §5.3: a list may be combined with commas). */
function appendListHeader (reply: FastifyReply, name: string, member: string) {
  const current = reply.getHeader(name)
  reply.header(name, current === undefined ? member : `${String(current)}, ${member}`)
}

/**
 * Tells the client where it stands in one limit: `x-ratelimit-*` (the stricter, later limit wins them) and
 * the IETF draft's structured `RateLimit-Policy` / `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers),
 * which list every limit the request spent, each under its name; then answers 429 once the limit is used up.
 */
function reportLimit (reply: FastifyReply, name: string, state: LimiterState, describe: () => string) {
  reply.header('x-ratelimit-limit', state.max)
  reply.header('x-ratelimit-remaining', state.remaining)
  reply.header('x-ratelimit-reset', state.ttlInSeconds)
  appendListHeader(reply, 'ratelimit-policy', `"${name}";q=${state.max};w=${Math.ceil(state.timeWindow / 1000)}`)
  appendListHeader(reply, 'ratelimit', `"${name}";r=${state.remaining};t=${state.ttlInSeconds}`)
  if (state.isExceeded) {
    throw new ApiError('RATE_LIMITED', describe(), { headers: { 'retry-after': String(state.ttlInSeconds) } })
  }
}

/**
 * The package's Redis store, keeping one key prefix for every limiter. Its own `child` prefixes a
 * limiter's keys with the route's method and URL, which `createRateLimit` leaves undefined
 * (`<prefix>undefinedundefined-…`); a bucket's keys already begin with its name (`<prefix>login:<ip>`).
 */
function redisStoreUnder (redis: Redis, prefix: string): FastifyRateLimitStoreCtor {
  return class SharedPrefixRedisStore extends RedisStore {
    constructor () {
      super(false, false, redis, prefix)
    }

    override child = () => this
  }
}

/** The overall limit's name in the `RateLimit` fields. */
const overallPolicy = 'default'

/**
 * The overall limit, `RATE_LIMIT_MAX` requests a minute per client IP (as `TRUST_PROXY` lets Fastify
 * see it; 0 switches it off, for load tests), runs as a root onRequest hook, before any route's own hooks:
 * requests refused by authentication count, and so do unknown routes. Stricter named buckets come from
 * `app.rateLimitBucket`, which the route policy (route-policy.ts) calls once per bucket. Both report through
 * `reportLimit`, so every limited response carries the same headers. Counters live in memory, or in Redis
 * when configured so that every instance enforces one limit; should Redis fail, requests go through rather
 * than hang (`skipOnError`).
 */
export default fp(async function rateLimitPlugin (app) {
  const overallMax = app.config.RATE_LIMIT_MAX
  await app.register(rateLimit, {
    global: false,
    max: overallMax,
    timeWindow: '1 minute',
    ...(app.redis === undefined ? {} : { store: redisStoreUnder(app.redis, app.config.RATE_LIMIT_KEY_PREFIX) }),
    skipOnError: true,
    allowList: (request) => isRateLimitExempt(request.url)
  })
  if (overallMax > 0) {
    const overall = app.createRateLimit()
    app.addHook('onRequest', async function overallRateLimit (request, reply) {
      const state = await overall(request)
      if (state.isAllowed) return // allow-listed, or the store failed (skipOnError)
      reportLimit(reply, overallPolicy, state, () => `Too many requests (limit ${overallMax} a minute); retry in ${state.ttlInSeconds} s`)
    })
  }

  app.decorate('rateLimitBucket', ({ name, max, timeWindow, key = (request) => request.ip, describe }: BucketOptions): BucketHook => {
    const limiter = app.createRateLimit({ max, timeWindow, keyGenerator: (request) => `${name}:${key(request)}` })
    return async function rateLimitBucketHook (request, reply) {
      const state = await limiter(request)
      if (state.isAllowed) return // allow-listed
      reportLimit(reply, name, state, () => describe(max, state.ttlInSeconds))
    }
  })
}, { name: 'rate-limit', dependencies: ['config', 'redis'] })
