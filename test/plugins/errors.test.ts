import { Writable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import t from 'tap'
import { users } from '../../src/db/schema/index.js'
import { loggerOptions } from '../../src/lib/logging.js'
import { build, createUser } from '../helpers/index.js'

const problemType = 'application/problem+json; charset=utf-8'

/** Routes that exercise the error model the way feature routes will. */
function probeRoutes (app: FastifyInstance) {
  app.post('/probe/body', {
    config: { auth: 'public' },
    schema: {
      body: Type.Object({ name: Type.String({ minLength: 2, maxLength: 20 }), age: Type.Integer({ minimum: 0, maximum: 150 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ ok: Type.Boolean() }) }
    }
  }, async () => ({ ok: true }))
  app.post('/probe/users', {
    config: { auth: 'public', errors: { 409: ['EMAIL_TAKEN'] } },
    schema: {
      body: Type.Object({ email: Type.String({ maxLength: 254 }) }, { additionalProperties: false }),
      response: { 201: Type.Object({ ok: Type.Boolean() }) }
    }
  }, async (request, reply) => {
    const { email } = request.body as { email: string }
    await app.db.insert(users).values({ email, passwordHash: 'x' })
    return reply.code(201).send({ ok: true })
  })
  app.get('/probe/crash', { config: { auth: 'public' }, schema: { response: { 200: Type.Object({}) } } }, async () => {
    throw new Error('secret internal detail: SELECT * FROM users')
  })
  app.get('/probe/me', { config: { auth: 'bearer' }, schema: { response: { 200: Type.Object({ userId: Type.Integer() }) } } }, async (request) => ({ userId: request.auth.userId }))
  app.get('/probe/verified', { config: { auth: 'verified' }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }))
  app.get('/probe/admin', { config: { auth: 'admin' }, schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }))
}

t.test('every error is problem+json with a stable code', async (t) => {
  const lines: string[] = []
  const logger = pino(loggerOptions('info'), new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } }))
  const app = await build(t, { routes: probeRoutes, logger })

  t.test('unknown route → 404 NOT_FOUND', async (t) => {
    const response = await app.inject('/api/nothing-here')
    t.equal(response.statusCode, 404)
    t.equal(response.headers['content-type'], problemType)
    t.same(response.json(), { type: 'urn:problem:bookstore:not-found', title: 'Not Found', status: 404, detail: 'No route GET /api/nothing-here', code: 'NOT_FOUND' })
  })

  t.test('malformed JSON → 400 VALIDATION_FAILED', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/probe/body', headers: { 'content-type': 'application/json' }, payload: '{"name": "x",' })
    t.equal(response.statusCode, 400)
    t.equal(response.headers['content-type'], problemType)
    t.match(response.json(), { status: 400, code: 'VALIDATION_FAILED', detail: /not valid JSON/ })
  })

  t.test('schema violations list every field in errors[]', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/probe/body', payload: { name: 'x', role: 'admin' } })
    t.equal(response.statusCode, 400)
    const body = response.json()
    t.equal(body.code, 'VALIDATION_FAILED')
    t.same(new Set(body.errors.map((e: { path: string }) => e.path)), new Set(['/body/name', '/body/age', '/body/role']))
    t.match(body.errors.find((e: { path: string }) => e.path === '/body/role'), { message: 'is not a known property' })
    t.match(body.errors.find((e: { path: string }) => e.path === '/body/age'), { message: 'is required' })
  })

  t.test('numbers Ajv would coerce to Infinity are refused, never sent to the database', async (t) => {
    for (const id of ['Infinity', '-Infinity', '1e309']) {
      const response = await app.inject(`/api/books/${id}`)
      t.equal(response.statusCode, 400, id)
      t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/params/id' }] })
    }
    const query = await app.inject('/api/books?page=1e309')
    t.match(query.json(), { status: 400, errors: [{ path: '/querystring/page' }] })
  })

  t.test('body values keep their JSON types: strings and booleans are not numbers', async (t) => {
    for (const age of ['42', true, [42], 'Infinity']) {
      const response = await app.inject({ method: 'POST', url: '/probe/body', payload: { name: 'Ada', age } })
      t.equal(response.statusCode, 400, JSON.stringify(age))
      t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/body/age', message: 'must be integer' }] })
    }
    const huge = await app.inject({ method: 'POST', url: '/probe/body', headers: { 'content-type': 'application/json' }, payload: '{"name":"Ada","age":1e309}' })
    t.equal(huge.statusCode, 400, 'a JSON number too large for a double parses to Infinity, and is refused')
    const named = await app.inject({ method: 'POST', url: '/probe/body', payload: { name: 12345, age: 1 } })
    t.match(named.json(), { status: 400, errors: [{ path: '/body/name', message: 'must be string' }] })
  })

  t.test('a body over the limit → 413 PAYLOAD_TOO_LARGE', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/probe/body', headers: { 'content-type': 'application/json' }, payload: `{"name":"${'x'.repeat(1024 * 1024 + 10)}"}` })
    t.equal(response.statusCode, 413)
    t.match(response.json(), { code: 'PAYLOAD_TOO_LARGE' })
  })

  t.test('an unsupported content type → 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/probe/body', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
    t.equal(response.statusCode, 415)
    t.match(response.json(), { code: 'UNSUPPORTED_MEDIA_TYPE' })
  })

  t.test('a malformed URL → 400', async (t) => {
    const response = await app.inject('/api/books/%E0%A4%A')
    t.equal(response.statusCode, 400)
    t.equal(response.headers['content-type'], problemType)
    t.match(response.json(), { code: 'VALIDATION_FAILED' })
  })

  t.test('a duplicate key → 409 with the constraint\'s code, and nothing written twice', async (t) => {
    t.equal((await app.inject({ method: 'POST', url: '/probe/users', payload: { email: 'dup@example.com' } })).statusCode, 201)
    const again = await app.inject({ method: 'POST', url: '/probe/users', payload: { email: 'dup@example.com' } })
    t.equal(again.statusCode, 409)
    t.match(again.json(), { code: 'EMAIL_TAKEN', detail: 'An account with this email already exists' })
    t.equal((await app.db.select().from(users)).length, 1)
  })

  t.test('an unexpected error → 500 INTERNAL, logged with the request id, no internals in the body', async (t) => {
    const response = await app.inject('/probe/crash')
    t.equal(response.statusCode, 500)
    t.same(response.json(), { type: 'urn:problem:bookstore:internal', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred; it has been logged', code: 'INTERNAL' })
    t.notMatch(response.body, /secret|SELECT|at /)
    const requestId = response.headers['x-request-id']
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.level === 50 && entry.reqId === requestId)
    t.match(logged, { msg: 'request failed', err: { message: /secret internal detail/ } })
  })

  t.test('authentication failures', async (t) => {
    const anonymous = await app.inject('/probe/me')
    t.match(anonymous.json(), { status: 401, code: 'UNAUTHENTICATED' })
    t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="bookstore"', 'a 401 names the scheme it wants')
    const forged = await app.inject({ url: '/probe/me', headers: { authorization: 'Bearer a.b.c' } })
    t.equal(forged.headers['www-authenticate'], 'Bearer realm="bookstore", error="invalid_token"')
    for (const authorization of ['Bearer', 'Bearer ', 'token  ']) {
      t.match((await app.inject({ url: '/probe/me', headers: { authorization } })).json(), { status: 401, code: 'UNAUTHENTICATED' }, `"${authorization}" carries no token`)
    }
    t.match((await app.inject({ url: '/probe/me', headers: { authorization: 'Bearer nonsense' } })).json(), { status: 401, code: 'TOKEN_INVALID' })
    t.match((await app.inject({ url: '/probe/me', headers: { authorization: 'Basic abc' } })).json(), { status: 401, code: 'TOKEN_INVALID' })
    const reader = await createUser(app)
    const me = await app.inject({ url: '/probe/me', headers: { authorization: `Token ${reader.token}` } })
    t.same(me.json(), { userId: reader.id }, 'the DRF-style Token scheme is accepted')
    const unverified = await createUser(app, { verified: false })
    t.match((await app.inject({ url: '/probe/verified', headers: unverified.headers })).json(), { status: 403, code: 'EMAIL_NOT_VERIFIED' })
    t.match((await app.inject({ url: '/probe/admin', headers: reader.headers })).json(), { status: 403, code: 'FORBIDDEN' })
    const admin = await createUser(app, { role: 'admin' })
    t.equal((await app.inject({ url: '/probe/admin', headers: admin.headers })).statusCode, 200)
  })

  t.test('credentials never reach the log', async (t) => {
    const reader = await createUser(app)
    await app.inject({ url: '/probe/me', headers: reader.headers })
    await app.inject('/api/verify-email/some-secret-token?token=abc')
    const log = lines.join('\n')
    t.notMatch(log, reader.token)
    t.notMatch(log, 'some-secret-token')
    t.notMatch(log, 'token=abc')
  })
})

t.test('an overlong path segment → 414 URI_TOO_LONG without echoing it', async (t) => {
  const app = await build(t)
  const response = await app.inject(`/api/verify-email/${'t'.repeat(300)}`)
  t.equal(response.statusCode, 414)
  t.match(response.json(), { code: 'URI_TOO_LONG', title: 'URI Too Long' })
  t.notMatch(response.body, 'tttttttttt')
})
