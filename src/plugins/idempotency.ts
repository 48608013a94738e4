import { createHash, randomUUID } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerAsyncHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Executor } from '../db/query-helpers.js'
import { canonicalJson } from '../lib/canonical-json.js'
import { ApiError } from '../lib/problem.js'
import { declareProblems } from '../schemas/problems.js'
import { completeClaim, findKey, insertClaim, purgeExpiredKeys, releaseClaim, takeOverClaim, type NewClaim, type StoredAnswer } from './idempotency/keys.js'

/** Stores the answer the handler is about to send on `tx`, the transaction of its change; a no-op without a key. */
export type RecordAnswer = (tx: Executor, body: unknown) => Promise<void>

export interface Idempotency {
  /**
   * The request's recorder. A handler whose change is a transaction calls it inside that transaction
   * with the body it will send (status and `Location` already set on the reply), so the change and
   * its answer commit together; other routes' answers are stored as they are sent.
   */
  recorder: (request: FastifyRequest) => RecordAnswer
  /** Deletes the keys past their 24 hours (housekeeping); returns how many went. */
  purgeExpired: (now?: Date) => Promise<number>
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route creates or changes something and honours `Idempotency-Key` (README "Idempotency"). */
    idempotent?: boolean
  }
  interface FastifyInstance {
    idempotency: Idempotency
  }
}

const keyTtlMs = 24 * 3600e3
/** A claim in progress this long belongs to a request that died with its process; a retry may take it over. */
const abandonedAfterMs = 60_000
/** The headers of an answer that a replay repeats; the others belong to the moment (rate limits, request id). */
const replayedHeaders = ['content-type', 'location', 'etag'] as const

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x21-\\x7E]+$',
    description: 'Makes a retry safe (1–255 visible ASCII characters, your choice, e.g. a UUID). Within 24 h the same key and body ' +
      'get the first answer again, with `Idempotent-Replayed: true`, and change nothing; the same key with another body or route is ' +
      '422 IDEMPOTENCY_KEY_REUSED, and while the first request runs, 409 IDEMPOTENCY_IN_PROGRESS. Keys are per caller.'
  }))
})

interface HeldClaim {
  claim: NewClaim
  reply: FastifyReply
  /** The body recorded in the change's transaction, so the answer sent is not stored twice. */
  recorded?: string
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The request as a retry must repeat it: method, route, path parameters and body (a multipart body is read later, by the handler, and is left out). */
function fingerprintOf (request: FastifyRequest): string {
  return sha256(`${request.method} ${request.routeOptions.url ?? ''}\n${canonicalJson({ params: request.params, body: request.body })}`)
}

function answerOf (reply: FastifyReply, body: string): StoredAnswer {
  const headers: Record<string, string> = {}
  for (const name of replayedHeaders) {
    const value = reply.getHeader(name)
    if (value !== undefined) headers[name] = String(value)
  }
  headers['content-type'] ??= 'application/json; charset=utf-8'
  return { status: reply.statusCode, headers, body }
}

const inProgress = () => new ApiError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly')
const noRecord: RecordAnswer = async () => {}

/**
 * `Idempotency-Key` on the routes that say `config: { idempotent: true }` (the IETF draft, as Stripe
 * does it). The first request with a key inserts its row `in_progress`; a retry with the same
 * fingerprint replays the stored answer, one with another is 422, one while the first runs 409. A 5xx
 * frees the key. This `onRoute` hook derives, per route, the header's schema (validated, and documented
 * in OpenAPI), the 409/422 responses and the hooks; routes write none of it.
 */
export default fp(async function idempotencyPlugin (app) {
  const claims = new WeakMap<FastifyRequest, HeldClaim>()

  function replay (reply: FastifyReply, { responseStatus, responseHeaders, responseBody }: { responseStatus: number, responseHeaders: Record<string, string> | null, responseBody: string }) {
    return reply.code(responseStatus).headers({ ...responseHeaders, 'idempotent-replayed': 'true' }).send(responseBody)
  }

  const claimKey: preHandlerAsyncHookHandler = async function (request, reply) {
    const key = request.headers['idempotency-key']
    if (typeof key !== 'string') return
    const now = Date.now()
    const claim: NewClaim = {
      scope: request.routeOptions.config.auth === 'public' ? `ip:${sha256(request.ip)}` : `user:${request.auth.userId}`,
      keyHash: sha256(key),
      claimId: randomUUID(),
      fingerprint: fingerprintOf(request),
      createdAt: new Date(now),
      expiresAt: new Date(now + keyTtlMs)
    }
    const hold = () => { claims.set(request, { claim, reply }) }
    if (await insertClaim(app.db, claim)) return hold()
    const existing = await findKey(app.db, claim.scope, claim.keyHash)
    // Freed by a failed first request between the two statements: the retry may go again.
    if (existing === undefined) throw inProgress()
    const expired = existing.expiresAt.getTime() <= now
    if (!expired && existing.fingerprint !== claim.fingerprint) {
      throw new ApiError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request (another route or body); use a new key')
    }
    const { responseStatus, responseBody } = existing
    if (!expired && responseStatus !== null && responseBody !== null) return replay(reply, { ...existing, responseStatus, responseBody })
    const abandoned = existing.status === 'in_progress' && existing.createdAt.getTime() <= now - abandonedAfterMs
    if ((expired || abandoned) && await takeOverClaim(app.db, existing.claimId, claim)) return hold()
    throw inProgress()
  }

  // Routes whose change is not one transaction with its answer store it here, before it is sent.
  const storeAnswer: onSendHookHandler = function (request, reply, payload, done) {
    const held = claims.get(request)
    if (held === undefined || held.recorded === payload) return done(null, payload)
    claims.delete(request)
    const stored = reply.statusCode >= 500 || typeof payload !== 'string'
      ? releaseClaim(app.db, held.claim)
      : completeClaim(app.db, held.claim, answerOf(reply, payload))
    // The answer goes out either way: a key left in progress is taken over once abandoned.
    stored.catch((error: unknown) => { request.log.error({ err: error }, 'idempotency key not stored') }).finally(() => { done(null, payload) })
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.config?.idempotent !== true) return
    const where = `${String(route.method)} ${route.url}`
    if (route.method !== 'POST') throw new Error(`${where}: only POST routes take an Idempotency-Key`)
    route.preHandler = [claimKey, ...(route.preHandler === undefined ? [] : [route.preHandler].flat())]
    route.onSend = [...(route.onSend === undefined ? [] : [route.onSend].flat()), storeAnswer]
    const schema = route.schema ?? {}
    if (schema.headers !== undefined) throw new Error(`${where}: the Idempotency-Key header schema is derived; state no headers`)
    schema.headers = IdempotencyHeaders
    declareProblems(schema, { 409: ['IDEMPOTENCY_IN_PROGRESS'], 422: ['IDEMPOTENCY_KEY_REUSED'] })
    route.schema = schema
  })

  app.decorate('idempotency', {
    recorder (request) {
      const held = claims.get(request)
      if (held === undefined) return noRecord
      return async (tx, body) => {
        const payload = held.reply.serialize(body)
        if (typeof payload !== 'string') throw new Error('an idempotent route must answer JSON text')
        // Taken over meanwhile (this request ran past the abandonment time): undo the change.
        if (!await completeClaim(tx, held.claim, answerOf(held.reply, payload))) throw inProgress()
        held.recorded = payload
      }
    },
    purgeExpired: async (now = new Date()) => await purgeExpiredKeys(app.db, now)
  } satisfies Idempotency)
}, { name: 'idempotency', dependencies: ['db', 'route-policy'] })
