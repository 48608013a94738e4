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

/** Security headers on every response, and CORS only for the origins `CORS_ORIGINS` names. */
export default fp(async function securityPlugin (app) {
  app.addHook('onRequest', (request, reply, done) => { securityHeaders(request.raw, reply.raw, () => { done() }) })

  const origins = splitList(app.config.CORS_ORIGINS)
  await app.register(cors, {
    origin: origins.length === 0 ? false : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'If-Range', 'Range'],
    exposedHeaders: ['Accept-Ranges', 'Content-Disposition', 'Content-Length', 'Content-Range', 'ETag', 'Location', 'Retry-After', 'X-Request-Id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600
  })
}, { name: 'security', dependencies: ['config'] })
