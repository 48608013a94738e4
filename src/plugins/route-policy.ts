import type { FastifyRequest, onRequestHookHandler, preValidationHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { ProblemCode } from '../lib/problem.js'
import { declareProblems, type ErrorCodes } from '../schemas/problems.js'

/** Who may call a route: anyone, any valid access token, a verified account, an admin. */
export type RouteAuth = 'public' | 'bearer' | 'verified' | 'admin'

const routeAuths: readonly RouteAuth[] = ['public', 'bearer', 'verified', 'admin']

/**
 * The names of the rate-limit buckets. A feature adds the names it declares beside their declaration
 * (`declare module '…/plugins/route-policy.js' { interface RateLimitBuckets { borrow: true } }`), so a
 * route naming an undeclared bucket does not compile.
 */
export interface RateLimitBuckets {}
export type BucketName = keyof RateLimitBuckets

export interface BucketDeclaration {
  max: number
  /** Milliseconds, or a duration such as '1 minute'. */
  timeWindow: number | string
  /** Whose budget: the client IP, or the authenticated user (only on routes that take a token). */
  per: 'ip' | 'user'
  /** Says what was limited, in the 429's detail. */
  describe: (max: number, retryInSeconds: number) => string
}

/** Buckets by name, each built from the configuration. */
export type BucketDeclarations<Name extends BucketName = BucketName> = Record<Name, (config: Config) => BucketDeclaration>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route. Every route states it; a route without it fails at startup. */
    auth?: RouteAuth
    /** The named bucket the route spends on top of the overall limit; a route's aliases name the same one. */
    limit?: BucketName
    /** The error codes the route itself answers, by status; the docs derive its problem responses from them. */
    errors?: ErrorCodes
  }
  interface FastifySchema {
    /** Every code the operation may answer, by status (derived: see schemas/problems.ts). */
    'x-error-codes'?: Record<string, ProblemCode[]>
    /** The declared body may be left out (the document then does not mark it required). */
    'x-body-optional'?: boolean
  }
}

/** The codes each kind of caller check can answer. */
const authErrors: Record<Exclude<RouteAuth, 'public'>, ErrorCodes> = {
  bearer: { 401: ['UNAUTHENTICATED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'] },
  verified: { 401: ['UNAUTHENTICATED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'], 403: ['EMAIL_NOT_VERIFIED'] },
  admin: { 401: ['UNAUTHENTICATED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'], 403: ['FORBIDDEN'] }
}

type Hooks<Hook> = Hook | Hook[] | undefined

function hookList<Hook> (hooks: Hooks<Hook>): Hook[] {
  if (hooks === undefined) return []
  return Array.isArray(hooks) ? hooks : [hooks]
}

/**
 * One route policy: a route says once, in `config: { auth, limit? }`, who may call it and which named
 * bucket it spends, and this `onRoute` hook derives the rest — the `onRequest` authentication hook, the
 * bucket's hook, the OpenAPI `security` and the 401/403 responses. A per-IP bucket runs right after
 * authentication, before the route's own hooks (so refused requests count); a per-user bucket needs the
 * caller, and runs first in `preValidation` (after the body is read, before validation and the handler).
 * Routes state neither hooks for these nor `security` themselves. The rule covers every route registered
 * after this plugin; only the documentation (@fastify/swagger-ui, registered before it by the docs
 * plugin, with no route config to carry a policy) is outside it: public, and exempt from the limits.
 */
export default fp<{ buckets: BucketDeclarations }>(async function routePolicyPlugin (app, { buckets }) {
  const authHooks: Record<Exclude<RouteAuth, 'public'>, onRequestHookHandler> = {
    bearer: app.authenticate,
    verified: app.requireVerified,
    admin: app.requireAdmin
  }
  // One hook per bucket name, so every route naming it spends one budget.
  const bucketHooks = new Map(Object.entries(buckets).map(([name, declare]) => {
    const { per, ...bucket } = declare(app.config)
    const key = per === 'user' ? (request: FastifyRequest) => `user:${request.auth.userId}` : undefined
    return [name, { per, hook: app.rateLimitBucket({ name, ...bucket, ...(key === undefined ? {} : { key }) }) }]
  }))
  const derived = new WeakSet<object>()

  app.addHook('onRoute', (route: RouteOptions) => {
    const where = `${String(route.method)} ${route.url}`
    const { auth, limit } = route.config ?? {}
    if (auth === undefined || !routeAuths.includes(auth)) {
      throw new Error(`${where}: config.auth must say who may call the route (${routeAuths.join(', ')})`)
    }
    const onRequest: onRequestHookHandler[] = auth === 'public' ? [] : [authHooks[auth]]
    const preValidation: preValidationHookHandler[] = []
    if (limit !== undefined) {
      const bucket = bucketHooks.get(limit)
      if (bucket === undefined) throw new Error(`${where}: no rate-limit bucket is named ${limit}`)
      if (bucket.per === 'user' && auth === 'public') throw new Error(`${where}: the per-user bucket ${limit} needs a caller; config.auth is public`)
      if (bucket.per === 'ip') onRequest.push(bucket.hook)
      else preValidation.push(bucket.hook)
    }
    if (onRequest.length > 0) route.onRequest = [...onRequest, ...hookList(route.onRequest)]
    if (preValidation.length > 0) route.preValidation = [...preValidation, ...hookList(route.preValidation)]

    const schema = route.schema
    if (schema === undefined) return
    // A GET's HEAD twin shares its schema, already derived.
    if (schema.security !== undefined && !derived.has(schema)) throw new Error(`${where}: security follows from config.auth; do not state it`)
    derived.add(schema)
    schema.security = auth === 'public' ? [] : [{ bearerAuth: [] }]
    if (schema.hide === true || auth === 'public') return
    declareProblems(schema, authErrors[auth])
  })
}, { name: 'route-policy', dependencies: ['config', 'rate-limit', 'auth'] })
