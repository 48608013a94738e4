import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { splitList, type Config } from './config.js'
import { loggerOptions } from './lib/logging.js'
import { parseQueryString } from './lib/query-strings.js'
import { schemaController } from './lib/validators.js'
import accountsModule, { accountBuckets, accountServices, resetPasswordPage } from './modules/accounts/index.js'
import adminModule from './modules/admin/index.js'
import authorsModule from './modules/authors/index.js'
import booksModule from './modules/books/index.js'
import borrowsModule, { borrowBuckets } from './modules/borrows/index.js'
import { catalogueSchemas } from './modules/catalogue/index.js'
import favoritesModule from './modules/favorites/index.js'
import filesModule from './modules/files/index.js'
import healthRoutes from './modules/health/index.js'
import noticesModule from './modules/notices/index.js'
import holdsModule, { holdServices } from './modules/holds/index.js'
import reviewsModule from './modules/reviews/index.js'
import authPlugin from './plugins/auth.js'
import bareAnswersPlugin, { bareAnswersHttpOptions } from './plugins/bare-answers.js'
import configPlugin from './plugins/config.js'
import dbPlugin from './plugins/db.js'
import docsPlugin from './plugins/docs.js'
import mailPlugin from './plugins/mail.js'
import metricsPlugin from './plugins/metrics.js'
import errorsPlugin, { sendClientErrorProblem, sendProblem } from './plugins/errors.js'
import idempotencyPlugin from './plugins/idempotency.js'
import plainNumbersPlugin from './plugins/plain-numbers.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import redisPlugin from './plugins/redis.js'
import requestBodiesPlugin from './plugins/request-bodies.js'
import routePolicyPlugin from './plugins/route-policy.js'
import schedulerPlugin from './plugins/scheduler.js'
import schemasPlugin from './plugins/schemas.js'
import securityPlugin, { securityHeaders } from './plugins/security.js'
import { ProblemSchema } from './schemas/common.js'

export interface BuildOptions {
  /** A logger to use instead of the one built from the config (tests pass one writing to a stream). */
  loggerInstance?: FastifyBaseLogger
  /** The clock tokens are issued by (`Date.now` unless a test moves it). */
  now?: () => number
}

/**
 * Schemas that routes of several modules reference by `$id` (`Type.Ref`). Registered once at the root,
 * they are validated and serialised by name and appear under their own names in `components.schemas`.
 */
export const sharedSchemas = [ProblemSchema, ...catalogueSchemas]

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Errors Fastify raises before routing (a malformed URL) skip every hook, so this answer adds the headers
 * the hooks give every other one.
 */
function sendProblemBeforeRouting (error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  securityHeaders(request.raw, reply.raw, () => {})
  reply.header('x-request-id', request.id)
  return sendProblem(error, request, reply)
}

/**
 * Slow clients (README "Security"): a request must arrive whole, headers and body, within
 * `REQUEST_TIMEOUT_MS`, and a connection may sit idle, between requests or mid-body, no longer either; Node
 * checks every second (its default is every 30 s), then the client error handler answers 408.
 */
function slowClientLimits ({ REQUEST_TIMEOUT_MS: timeout }: Config) {
  return {
    requestTimeout: timeout,
    connectionTimeout: timeout,
    keepAliveTimeout: timeout,
    http: { ...bareAnswersHttpOptions, headersTimeout: timeout, requestTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout) }
  }
}

/** Builds the whole API from a validated configuration; `server.ts` only listens. */
export async function buildApp (config: Config, { loggerInstance, now }: BuildOptions = {}): Promise<FastifyInstance> {
  const trustedProxies = splitList(config.TRUST_PROXY)
  const app = Fastify({
    ...(loggerInstance === undefined ? { logger: loggerOptions(config.LOG_LEVEL) } : { loggerInstance }),
    trustProxy: trustedProxies.length === 0 ? false : trustedProxies,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256, querystringParser: parseQueryString },
    // A well-formed X-Request-Id from a proxy is kept so log lines join up across services.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
    },
    schemaController,
    frameworkErrors: sendProblemBeforeRouting,
    clientErrorHandler: sendClientErrorProblem,
    return503OnClosing: true,
    ...slowClientLimits(config)
  }).withTypeProvider<TypeBoxTypeProvider>()

  // While shutting down, answers still in flight close their connection, so keep-alive sockets do not
  // hold the process open until their timeout.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })

  await app.register(configPlugin, { config })
  await app.register(errorsPlugin)
  await app.register(requestBodiesPlugin)
  await app.register(plainNumbersPlugin)
  await app.register(schemasPlugin, { schemas: sharedSchemas })
  await app.register(docsPlugin)
  await app.register(redisPlugin)
  await app.register(dbPlugin)
  await app.register(mailPlugin)
  await app.register(schedulerPlugin)
  await app.register(securityPlugin)
  await app.register(bareAnswersPlugin)
  await app.register(rateLimitPlugin)
  await app.register(authPlugin, { now })
  await app.register(routePolicyPlugin, { buckets: { ...accountBuckets, ...borrowBuckets } })
  await app.register(idempotencyPlugin)
  // Before the routes, so its onResponse hook times every one of them.
  await app.register(metricsPlugin)

  await app.register(accountServices)
  await app.register(holdServices)
  await app.register(healthRoutes)
  await app.register(resetPasswordPage)
  await app.register(noticesModule)
  for (const featureModule of [accountsModule, booksModule, authorsModule, favoritesModule, reviewsModule, borrowsModule, holdsModule, adminModule, filesModule]) {
    await app.register(featureModule, { prefix: '/api' })
  }

  return app
}
