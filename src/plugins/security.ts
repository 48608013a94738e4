import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { splitList } from '../config.js'

// helmet's default headers, as @fastify/helmet sends them, except the CSP: the API answers JSON (and
// PDF downloads), never a page, so its CSP allows nothing (docs.ts gives Swagger UI one that runs).
// helmet's middleware is built once: @fastify/helmet builds it again on every request, which cost
// about a tenth of the API's CPU on a book read.
export const securityHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }
})

/** What a page on an allowed origin may send: credentials, bodies, conditional and idempotent requests, tracing. */
export const corsRequestHeaders = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'If-Range', 'Range', 'X-Request-Id']

/** What its scripts may read beyond the CORS-safelisted response headers. */
export const corsExposedHeaders = [
  'Accept-Ranges', 'Content-Disposition', 'Content-Length', 'Content-Range', 'ETag', 'Idempotent-Replayed', 'Location',
  'RateLimit', 'RateLimit-Policy', 'Retry-After', 'WWW-Authenticate', 'X-Request-Id',
  'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'
]

/** Security headers on every response, and CORS only for the origins `CORS_ORIGINS` names. */
export default fp(async function securityPlugin (app) {
  app.addHook('onRequest', (request, reply, done) => { securityHeaders(request.raw, reply.raw, () => { done() }) })

  const origins = splitList(app.config.CORS_ORIGINS)
  await app.register(cors, {
    origin: origins.length === 0 ? false : origins,
    // Cookies (the opt-in refresh cookie) travel only to the origins listed: the list is never `*`.
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: corsRequestHeaders,
    exposedHeaders: corsExposedHeaders,
    maxAge: 600
  })
}, { name: 'security', dependencies: ['config'] })
