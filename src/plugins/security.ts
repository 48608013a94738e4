import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { splitList } from '../config.js'

/** Security headers on every response, and CORS only for the origins `CORS_ORIGINS` names. */
export default fp(async function securityPlugin (app) {
  // The API answers JSON (and PDF downloads), never a page: the OWASP REST set of headers, with a CSP
  // that allows nothing. The headers only documents need are left out (docs.ts adds its own for
  // Swagger UI). helmet's middleware is built once: @fastify/helmet builds it again on every request
  // and sends the whole document set, together about 10 % of the API's CPU on a book read.
  const securityHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false
  })
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
