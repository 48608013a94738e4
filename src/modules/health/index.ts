import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ApiError } from '../../lib/problem.js'
import { StringEnum } from '../../lib/string-enum.js'

const checkTimeoutMs = 1500

/** Rejects when `check` has not settled within the timeout, so /ready answers even when a dependency hangs. */
async function within<T> (check: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), checkTimeoutMs)
  })
  try {
    return await Promise.race([check, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const Health = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })
const Readiness = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Object({
    database: Type.Literal('up'),
    redis: StringEnum(['up', 'not configured'])
  }, { additionalProperties: false }),
  outbox: Type.Object({
    pending: Type.Integer({ minimum: 0 }),
    sending: Type.Integer({ minimum: 0 }),
    sent: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 })
  }, { additionalProperties: false, description: 'Emails in each status: a growing `pending` is a backlog, `failed` ones were given up' })
}, { additionalProperties: false })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    config: { auth: 'public' },
    schema: {
      summary: 'Liveness: the process is up',
      tags: ['Operations'],
      response: { 200: Health }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/ready', {
    config: { auth: 'public' },
    schema: {
      summary: 'Readiness: the database (and Redis, when configured) answer',
      description: 'The body also counts the emails of the outbox by status.',
      tags: ['Operations'],
      response: { 200: Readiness }
    }
  }, async () => {
    const unavailable = (what: string) => new ApiError('SERVICE_UNAVAILABLE', `${what} is not reachable`, { headers: { 'retry-after': '5' } })
    // Counting the outbox is the database check: it answers only when the database does.
    const outbox = await within(app.mailer.backlog()).catch(() => { throw unavailable('The database') })
    if (app.redis !== undefined) {
      try {
        await within(app.redis.ping())
      } catch {
        throw unavailable('Redis')
      }
    }
    return { status: 'ready' as const, checks: { database: 'up' as const, redis: app.redis === undefined ? 'not configured' as const : 'up' as const }, outbox }
  })
}

export default healthRoutes
