import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { RouteOptions } from 'fastify'
import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { problemResponses } from '../schemas/common.js'
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

/**
 * Completes each route's schema so the document (and the response checks in tests) never miss what
 * every route shares: an operationId, and the responses every route can give — 400 wherever there is
 * input, 413 and 415 wherever a body is read, 414 wherever the path has a parameter, 429 under the rate limit, 500 and 503 (the database
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
  const common = problemResponses(
    ...(readsBody || schema.querystring !== undefined || schema.params !== undefined ? [400] : []),
    ...(readsBody ? [413, 415] : []),
    // A path segment over the router's maxParamLength (app.ts) is refused before routing.
    ...(schema.params !== undefined ? [414] : []),
    ...(limited ? [429] : []),
    500,
    503
  )
  schema.response = { ...common, ...(schema.response as object | undefined) }
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
        description: 'Books, authors, favourites, reviews, borrowing and shared PDFs. Every error is RFC 9457 problem+json with a stable `code`.',
        license: { name: 'MIT', identifier: 'MIT' },
        contact: { name: 'Bookstore API team' }
      },
      servers: [{ url: '/', description: 'The server that serves this document (local, staging or production)' }],
      tags: [
        { name: 'Operations', description: 'Health and readiness' },
        { name: 'Accounts', description: 'Registration, email verification and profile' },
        { name: 'Tokens', description: 'JWT access and refresh tokens' },
        { name: 'Books', description: 'The catalogue' },
        { name: 'Authors', description: 'Authors of the books' },
        { name: 'Favorites', description: 'A user’s favourite books' },
        { name: 'Reviews', description: 'Ratings and comments' },
        { name: 'Borrows', description: 'Borrowing and returning copies' },
        { name: 'Admin', description: 'Administration and statistics' },
        { name: 'Files', description: 'Shared PDF files' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/token. JWTs follow RFC8725 (JWT Best Current Practices): HS256 pinned, iss/aud/exp/jti checked, short-lived access tokens. `Token <jwt>` is accepted too.' }
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
