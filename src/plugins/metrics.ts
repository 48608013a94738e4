import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { ApiError } from '../lib/problem.js'

/**
 * What this reads of mysql2 3.x's core pool (lib/base/pool.js), which its typings do not declare: the
 * queues of every open connection, of the idle ones, and of the requests waiting for one.
 */
interface PoolQueues {
  _allConnections: { length: number }
  _freeConnections: { length: number }
  _connectionQueue: { length: number }
}

function hasLength (value: unknown): value is { length: number } {
  return typeof value === 'object' && value !== null && 'length' in value && typeof value.length === 'number'
}

function isPoolQueues (value: unknown): value is PoolQueues {
  return typeof value === 'object' && value !== null &&
    '_allConnections' in value && hasLength(value._allConnections) &&
    '_freeConnections' in value && hasLength(value._freeConnections) &&
    '_connectionQueue' in value && hasLength(value._connectionQueue)
}

/** The request's route pattern (`/api/books/:id`), never its URL, so the label set stays bounded. */
function routeLabel (request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched'
}

/** Compares digests, so neither the token's length nor its first wrong byte shows in the timing. */
function sameToken (given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** The metrics of one request: its counter and histogram children, looked up once per label set. */
interface RequestSeries {
  count: { inc: () => void }
  duration: { observe: (seconds: number) => void }
}

/**
 * `GET /metrics` in the Prometheus text format, from a registry of this app's own (tests build many
 * apps in one process; the global registry would mix them). Requests are counted and timed in one
 * `onResponse` hook by method, route pattern and status; a 429 there is a rate-limit refusal, whoever
 * produced it, so the rate limiter knows nothing of metrics. The pool and outbox gauges are read when
 * scraped, so they cost nothing between scrapes. With `METRICS_TOKEN` set, the route needs it as a
 * Bearer token; it is exempt from rate limits (rate-limit.ts) and left out of the public document.
 */
export default fp(async function metricsPlugin (app) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] })
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  const refusals = new Counter({ name: 'rate_limited_requests_total', help: 'Requests refused with 429 RATE_LIMITED', labelNames: ['route'], registers: [registry] })

  const core: unknown = app.pool.pool
  new Gauge({ // eslint-disable-line no-new -- registered, read on scrape
    name: 'db_pool_connections',
    help: 'Database connections of this process by state (in_use, idle) and requests waiting for one',
    labelNames: ['state'],
    registers: [registry],
    collect () {
      if (!isPoolQueues(core)) return
      const open = core._allConnections.length
      const idle = core._freeConnections.length
      this.set({ state: 'in_use' }, open - idle)
      this.set({ state: 'idle' }, idle)
      this.set({ state: 'waiting' }, core._connectionQueue.length)
    }
  })
  new Gauge({ // eslint-disable-line no-new -- registered, read on scrape
    name: 'email_outbox_messages',
    help: 'Emails in the outbox by status (a growing pending count is a backlog)',
    labelNames: ['status'],
    registers: [registry],
    async collect () {
      // With the database down the scrape still answers, without this gauge's values.
      const backlog = await app.mailer.backlog().catch(() => undefined)
      for (const [status, count] of Object.entries(backlog ?? {})) this.set({ status }, count)
    }
  })

  const series = new Map<string, RequestSeries>()
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = routeLabel(request)
    const key = `${request.method} ${reply.statusCode} ${route}`
    let found = series.get(key)
    if (found === undefined) {
      const labels = { method: request.method, route, status_code: reply.statusCode }
      found = { count: requests.labels(labels), duration: durations.labels(labels) }
      series.set(key, found)
    }
    found.count.inc()
    found.duration.observe(reply.elapsedTime / 1000)
    if (reply.statusCode === 429) refusals.inc({ route })
    done()
  })

  const token = app.config.METRICS_TOKEN
  app.get('/metrics', {
    config: { auth: 'public' },
    schema: { hide: true },
    onRequest: async (request) => {
      if (token === undefined) return
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
      if (match?.[1] === undefined || !sameToken(match[1], token)) {
        throw new ApiError('UNAUTHENTICATED', 'The metrics need Authorization: Bearer <METRICS_TOKEN>')
      }
    }
  }, async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return await registry.metrics()
  })
}, { name: 'metrics', dependencies: ['config', 'db', 'mail', 'route-policy'] })
