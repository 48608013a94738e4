import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { RouteOptions } from 'fastify'
import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { declareProblems } from '../schemas/problems.js'
import { docsGuide } from './docs-guide.js'
import { finishDocument } from './openapi-document.js'
import { isRateLimitExempt, rateLimitExemptPaths } from './rate-limit.js'
import { takesBody } from './request-bodies.js'

/** `GET /api/books/:id/reviews` → `getBooksByIdReviews`: stable names for generated clients. */
function operationId (method: string, url: string): string {
  const words = url.replace(/^\/api(?=\/|$)/, '').split('/').filter(Boolean)
    .map((part) => part.startsWith(':') ? `by-${part.slice(1)}` : part)
    .flatMap((part) => part.split(/[-_]/))
  return [method.toLowerCase(), ...words.map((word) => word.charAt(0).toUpperCase() + word.slice(1))].join('')
}

const reasons: Record<string, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 206: 'Partial content', 302: 'Redirect', 304: 'Not modified'
}

/**
 * Success responses get a description from the route's summary ("Created — Create a book"), where
 * @fastify/swagger would otherwise write "Default Response".
 */
function describeSuccesses (schema: NonNullable<RouteOptions['schema']>) {
  const response = (schema.response ?? {}) as Record<string, { description?: unknown }>
  for (const [status, entry] of Object.entries(response)) {
    if (Number(status) >= 400 || typeof entry.description === 'string') continue
    response[status] = { ...entry, description: `${reasons[status] ?? status} — ${schema.summary ?? 'the answer'}` }
  }
}

/**
 * Completes each route's schema so the document (and the response checks in tests) never miss what
 * every route shares: an operationId, and the responses every route can give — 400 wherever there is
 * input, 413, 415 and 417 (an `Expect` other than 100-continue, which clients send with a body) wherever
 * a body is read, 414 wherever the path has a parameter, 429 under the rate limit, 500 and 503 (the database
 * unreachable) always. The route policy (route-policy.ts) adds `security` and the 401/403 responses.
 */
function completeRouteSchema (route: RouteOptions) {
  const schema = route.schema
  if (schema === undefined || schema.hide === true) return
  const method = Array.isArray(route.method) ? route.method[0] ?? 'GET' : route.method
  schema.operationId ??= operationId(method, route.url)
  const limited = !isRateLimitExempt(route.url)
  // Every POST, PUT, PATCH and DELETE reads a body, declared or not (see request-bodies.ts).
  const readsBody = schema.body !== undefined || takesBody(route)
  declareProblems(schema, {
    ...(readsBody || schema.querystring !== undefined || schema.params !== undefined ? { 400: ['VALIDATION_FAILED'] } : {}),
    ...(readsBody ? { 413: ['PAYLOAD_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'], 417: ['EXPECTATION_FAILED'] } : {}),
    // A path segment over the router's maxParamLength (app.ts) is refused before routing.
    ...(schema.params !== undefined ? { 414: ['URI_TOO_LONG'] } : {}),
    ...(limited ? { 429: ['RATE_LIMITED'] } : {}),
    500: ['INTERNAL'],
    503: ['SERVICE_UNAVAILABLE']
  })
  // The route's own codes, merged after the shared ones (a route may add codes to a shared status).
  declareProblems(schema, route.config?.errors ?? {})
  describeSuccesses(schema)
}

/** The OpenAPI 3.1 document built from the route schemas, served at /docs/json with Swagger UI at /docs. */
export default fp(async function docsPlugin (app) {
  app.addHook('onRoute', completeRouteSchema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bookstore API',
        version: '1.0.0',
        description: docsGuide(app.config),
        license: { name: 'MIT', identifier: 'MIT' },
        contact: { name: 'Bookstore API team' }
      },
      // An absolute URL first, so a generated client has a base URL; '/' keeps Swagger UI on whatever host serves it.
      servers: [
        {
          url: '{origin}',
          description: 'This deployment, production or staging (PUBLIC_URL; in the committed openapi.json the local development default)',
          variables: { origin: { default: app.config.PUBLIC_URL, description: 'Scheme, host and port of the API' } }
        },
        { url: '/', description: 'The server that serves this document (local, staging or production)' }
      ],
      tags: [
        { name: 'Operations', description: 'Health and readiness' },
        { name: 'Accounts', description: 'Registration, email verification and profile' },
        { name: 'Tokens', description: 'JWT access and refresh tokens' },
        { name: 'Books', description: 'The catalogue' },
        { name: 'Authors', description: 'Authors of the books' },
        { name: 'Favorites', description: 'A user’s favourite books' },
        { name: 'Reviews', description: 'Ratings and comments' },
        { name: 'Borrows', description: 'Borrowing and returning copies' },
        { name: 'Holds', description: 'Reservations: a queue per book and the hold shelf' },
        { name: 'Admin', description: 'Administration and statistics' },
        { name: 'Files', description: 'Shared PDF files' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `Paste the \`access\` value of POST /api/token’s answer, without "Bearer " (Swagger UI adds it). It lasts ${app.config.ACCESS_TOKEN_TTL} s; log in or refresh again for a new one. JWTs follow RFC8725 (JWT Best Current Practices): HS256 pinned, iss/aud/exp/jti checked, short-lived access tokens. \`Token <jwt>\` is accepted too.` }
        }
      }
    },
    transformObject: (documentObject) => 'openapiObject' in documentObject
      ? finishDocument(documentObject.openapiObject as OpenAPI.Document, rateLimitExemptPaths)
      : documentObject.swaggerObject,
    // Shared schemas keep their `$id` as their name under components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => typeof json.$id === 'string' ? json.$id : `def-${index}` }
  })
  // Swagger UI is a page: helmet's document headers, with a CSP that lets it run its inline scripts and
  // styles. They replace the API's stricter set (security.ts) on the /docs routes only.
  const pageHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        // Served over plain HTTP in development; TLS termination is the proxy's job.
        upgradeInsecureRequests: null
      }
    }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: { onRequest: (request, reply, done) => { pageHeaders(request.raw, reply.raw, () => { done() }) } },
    uiConfig: { deepLinking: true, tryItOutEnabled: false, persistAuthorization: true },
    staticCSP: false
  })
}, { name: 'docs', dependencies: ['schemas'] })
