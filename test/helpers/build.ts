import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import mysql from 'mysql2/promise'
import type { Test } from 'tap'
import { buildApp, sharedSchemas } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { migrateDatabase, parseDatabaseUrl } from '../../src/db/migrate.js'

export type TestContext = Pick<Test, 'teardown' | 'fail'>

/** The app `build` returns: the whole API, its config typed. */
export type TestApp = FastifyInstance & { config: Config }

const serverUrl = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306'
export const testJwtSecret = 'test-secret-that-is-at-least-32-characters-long'

/** The environment every test app starts from; a test passes overrides for what it exercises. */
export function testEnv (databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: testJwtSecret,
    LOG_LEVEL: 'silent',
    UPLOAD_DIR: `var/test-uploads/${parseDatabaseUrl(databaseUrl).database}`,
    ...overrides
  }
}

/**
 * A database of the test file's own, migrated from empty, dropped when the file's tests end; so files
 * run in parallel and nothing leaks between them.
 */
export async function createTestDatabase (t: TestContext): Promise<string> {
  const name = `bookstore_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const url = `${serverUrl}/${name}`
  await migrateDatabase(url)
  t.teardown(async () => {
    const connection = await mysql.createConnection({ uri: serverUrl })
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``)
    await connection.end()
  })
  return url
}

const ajv = new Ajv({ strict: false, allErrors: true })
addFormats.default(ajv)
for (const schema of sharedSchemas) ajv.addSchema(schema)
const validators = new WeakMap<object, ValidateFunction>()

function validatorFor (schema: object): ValidateFunction {
  let validate = validators.get(schema)
  if (validate === undefined) {
    validate = ajv.compile(schema)
    validators.set(schema, validate)
  }
  return validate
}

/**
 * Checks each JSON response against the schema its route declares for that status, and fails the test
 * on an undeclared status or a body that does not match: the documentation cannot drift from the API.
 */
function checkResponsesAgainstSchemas (app: FastifyInstance, t: TestContext) {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const schema = request.routeOptions.schema
    if (schema?.response === undefined || schema.hide === true) return payload
    const responses = schema.response as Record<string, object>
    const status = String(reply.statusCode)
    const declared = responses[status] ?? responses[`${status[0]}xx`] ?? responses.default
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`
    if (declared === undefined) {
      t.fail(`${route} answered ${status}, which its schema does not declare`)
      return payload
    }
    const contentType = String(reply.getHeader('content-type') ?? '')
    if (typeof payload === 'string' && /json/.test(contentType)) {
      const validate = validatorFor(declared)
      if (!validate(JSON.parse(payload))) {
        t.fail(`${route} ${status} does not match its declared schema`, { errors: validate.errors, payload })
      }
    }
    return payload
  })
}

export interface BuildOptions {
  /** Environment variables on top of `testEnv`. */
  env?: Record<string, string>
  /** Reuse an existing test database (a second instance on the same data). */
  databaseUrl?: string
  /** A logger of the test's own (e.g. a pino instance writing to a stream it reads). */
  logger?: FastifyBaseLogger
  /** Extra routes for exercising cross-cutting behaviour, registered before the app is ready. */
  routes?: (app: FastifyInstance) => void | Promise<void>
  /** The clock tokens are issued by (e.g. set back to issue tokens that have already expired). */
  now?: () => number
}

/** The app as production builds it, on a fresh database, closed when the test ends. */
export async function build (t: TestContext, { env = {}, databaseUrl, routes, logger, now }: BuildOptions = {}): Promise<TestApp> {
  const url = databaseUrl ?? await createTestDatabase(t)
  const config = loadConfig({ env: testEnv(url, env), dotenv: false })
  t.teardown(() => rm(resolve(config.UPLOAD_DIR), { recursive: true, force: true }))
  const app = await buildApp(config, { loggerInstance: logger, now })
  checkResponsesAgainstSchemas(app, t)
  await routes?.(app)
  t.teardown(() => app.close())
  await app.ready()
  return app
}
