import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import t from 'tap'
import { build } from '../helpers/index.js'

const ping = (app: FastifyInstance) => {
  app.get('/probe/ping', { config: { auth: 'public' }, schema: { response: { 200: Type.Object({ pong: Type.Boolean() }) } } }, async () => ({ pong: true }))
}

t.test('the overall limit answers 429 RATE_LIMITED problem+json with Retry-After', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '3' }, routes: ping })
  for (let i = 0; i < 3; i++) {
    const response = await app.inject('/probe/ping')
    t.equal(response.statusCode, 200)
    t.equal(response.headers['x-ratelimit-limit'], '3')
    t.equal(response.headers['x-ratelimit-remaining'], String(2 - i))
  }
  const limited = await app.inject('/probe/ping')
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After in seconds')
  t.match(limited.json(), { status: 429, code: 'RATE_LIMITED', type: 'urn:problem:bookstore:rate-limited' })

  t.equal((await app.inject('/probe/ping')).statusCode, 429, 'still limited')
  t.equal((await app.inject('/health')).statusCode, 200, '/health is exempt')
  t.equal((await app.inject('/ready')).statusCode, 200, '/ready is exempt')
  t.equal((await app.inject('/docs/json')).statusCode, 200, '/docs is exempt')
  const other = await app.inject({ url: '/probe/ping', remoteAddress: '10.0.0.7' })
  t.equal(other.statusCode, 200, 'another client has its own budget')
})

t.test('limited responses carry the IETF RateLimit-Policy and RateLimit fields, one member per limit spent', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '5', AUTH_RATE_LIMIT_MAX: '2' }, routes: ping })
  const first = await app.inject('/probe/ping')
  t.equal(first.headers['ratelimit-policy'], '"default";q=5;w=60')
  t.match(first.headers.ratelimit, /^"default";r=4;t=([1-9]|[1-5][0-9]|60)$/)
  t.equal(first.headers['x-ratelimit-remaining'], '4', 'beside the x-ratelimit-* headers')

  const reset = () => app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'x@example.com' } })
  const spent = await reset()
  t.equal(spent.headers['ratelimit-policy'], '"default";q=5;w=60, "password-reset";q=2;w=60', 'the overall limit and the route’s bucket')
  t.match(spent.headers.ratelimit, /^"default";r=3;t=\d+, "password-reset";r=1;t=\d+$/)
  await reset()
  const limited = await reset()
  t.equal(limited.statusCode, 429)
  t.match(limited.headers.ratelimit, /"password-reset";r=0;t=\d+$/, 'the 429 says which limit is used up')
})

t.test('RATE_LIMIT_MAX=0 switches the overall limit off; the named buckets still count', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '0', AUTH_RATE_LIMIT_MAX: '1' }, routes: ping })
  const statuses = new Set<number>()
  for (let i = 0; i < 20; i++) statuses.add((await app.inject('/probe/ping')).statusCode)
  t.same([...statuses], [200], 'never limited')
  const response = await app.inject('/probe/ping')
  t.equal(response.headers.ratelimit, undefined, 'and no limit is reported')
  t.equal(response.headers['x-ratelimit-limit'], undefined)

  const reset = () => app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'x@example.com' } })
  t.equal((await reset()).headers['ratelimit-policy'], '"password-reset";q=1;w=60')
  t.equal((await reset()).statusCode, 429)
})

t.test('X-Forwarded-For is believed only from TRUST_PROXY addresses', async (t) => {
  const untrusting = await build(t, { env: { RATE_LIMIT_MAX: '1' }, routes: ping })
  t.equal((await untrusting.inject({ url: '/probe/ping', headers: { 'x-forwarded-for': '203.0.113.1' } })).statusCode, 200)
  t.equal((await untrusting.inject({ url: '/probe/ping', headers: { 'x-forwarded-for': '203.0.113.2' } })).statusCode, 429, 'a spoofed header does not buy a new budget')

  const trusting = await build(t, { env: { RATE_LIMIT_MAX: '1', TRUST_PROXY: '127.0.0.1' }, routes: ping })
  t.equal((await trusting.inject({ url: '/probe/ping', headers: { 'x-forwarded-for': '203.0.113.1' } })).statusCode, 200)
  t.equal((await trusting.inject({ url: '/probe/ping', headers: { 'x-forwarded-for': '203.0.113.2' } })).statusCode, 200, 'each client behind the proxy has its own budget')
})

t.test('with REDIS_URL two instances share one limit', async (t) => {
  const redis = new Redis('redis://127.0.0.1:6379')
  t.teardown(() => redis.quit())
  const first = await build(t, { env: { RATE_LIMIT_MAX: '4', REDIS_URL: 'redis://127.0.0.1:6379' }, routes: ping })
  const second = await build(t, { env: { RATE_LIMIT_MAX: '4', REDIS_URL: 'redis://127.0.0.1:6379' }, databaseUrl: first.config.DATABASE_URL, routes: ping })
  // A client address of this test's own, so parallel test files never share its counter.
  const remoteAddress = `10.${process.pid % 250}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`
  const statuses: number[] = []
  for (const app of [first, second, first, second, first, second]) {
    statuses.push((await app.inject({ url: '/probe/ping', remoteAddress })).statusCode)
  }
  t.same(statuses, [200, 200, 200, 200, 429, 429], 'the fifth request is refused, whichever instance gets it')
  t.equal((await first.inject('/ready')).json().checks.redis, 'up')
})

t.test('in Redis, a counter is keyed by the prefix, its bucket and the client: one key per limit a request spent', async (t) => {
  const redis = new Redis('redis://127.0.0.1:6379')
  t.teardown(() => redis.quit())
  const prefix = `rl-keys-${process.pid}-${Date.now()}:`
  const app = await build(t, { env: { REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_KEY_PREFIX: prefix }, routes: ping })
  const remoteAddress = '10.1.2.3'
  await app.inject({ url: '/probe/ping', remoteAddress })
  await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'x@example.com' }, remoteAddress })
  const keys = await redis.keys(`${prefix}*`)
  t.teardown(async () => { if (keys.length > 0) await redis.del(...keys) })
  t.same(keys.sort(), [`${prefix}${remoteAddress}`, `${prefix}password-reset:${remoteAddress}`])
  t.equal(await redis.get(`${prefix}${remoteAddress}`), '2', 'both requests spent the overall limit')
  t.equal(await redis.get(`${prefix}password-reset:${remoteAddress}`), '1')
})

t.test('a Redis outage neither hangs nor refuses requests, and /ready says so', async (t) => {
  // Nothing listens on port 1: connections are refused at once, as when Redis is down.
  const app = await build(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' }, routes: ping })
  const started = Date.now()
  const response = await app.inject('/probe/ping')
  t.equal(response.statusCode, 200, 'the limit is skipped while Redis is unreachable')
  t.ok(Date.now() - started < 2000, 'answered without waiting on Redis')
  const ready = await app.inject('/ready')
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { code: 'SERVICE_UNAVAILABLE', detail: /Redis/ })
})

t.test('requests refused by authentication, and unknown routes, count towards the overall limit', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '2' } })
  t.equal((await app.inject({ url: '/api/me', headers: { authorization: 'Bearer forged' } })).statusCode, 401)
  t.equal((await app.inject('/api/no-such-route')).statusCode, 404)
  const limited = await app.inject({ url: '/api/me', headers: { authorization: 'Bearer forged' } })
  t.equal(limited.statusCode, 429, 'token guessing is throttled like anything else')
  t.match(limited.json(), { code: 'RATE_LIMITED' })
})
