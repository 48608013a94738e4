import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build } from '../../helpers/index.js'

t.test('register, token, password reset and resend each have a per-IP bucket of AUTH_RATE_LIMIT_MAX a minute', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '3' } })
  const routes: Array<[string, object]> = [
    ['/api/token', { email: 'x@example.com', password: 'whatever-whatever' }],
    ['/api/register', { email: 'bad' }],
    ['/api/password-reset', { email: 'x@example.com' }],
    ['/api/verify-email/resend', { email: 'x@example.com' }],
    ['/api/password-reset/confirm', { token: 'x', newPassword: 'whatever-whatever' }]
  ]
  for (const [url, payload] of routes) {
    for (let i = 1; i <= 3; i++) {
      const response = await app.inject({ method: 'POST', url, payload })
      t.not(response.statusCode, 429, `${url} request ${i}`)
      t.equal(response.headers['x-ratelimit-limit'], '3')
    }
    const limited = await app.inject({ method: 'POST', url, payload })
    t.equal(limited.statusCode, 429, `${url} is limited`)
    t.equal(limited.json().code, 'RATE_LIMITED')
    t.ok(Number(limited.headers['retry-after']) > 0)
    t.equal(limited.headers['x-ratelimit-remaining'], '0')
  }
  const me = await app.inject({ method: 'POST', url: '/api/token/verify', payload: { token: 'x' } })
  t.equal(me.headers['x-ratelimit-limit'], '300', 'other routes keep the overall limit')
})

/** One request to each path in turn, from one client address; the statuses they got. */
async function statusesAcross (app: FastifyInstance, urls: string[], payload: object, remoteAddress: string) {
  const statuses: number[] = []
  for (const url of urls) statuses.push((await app.inject({ method: 'POST', url, payload, remoteAddress })).statusCode)
  return statuses
}

t.test('one IP gets AUTH_RATE_LIMIT_MAX logins a minute over /api/token, /api/login and /api/user/login together', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '2' } })
  const payload = { email: 'nobody@example.com', password: 'whatever-whatever' }
  const orders = [
    ['/api/token', '/api/login', '/api/user/login'],
    ['/api/login', '/api/user/login', '/api/token'],
    ['/api/user/login', '/api/token', '/api/login']
  ]
  for (const [i, urls] of orders.entries()) {
    t.same(await statusesAcross(app, urls, payload, `10.0.1.${i + 1}`), [401, 401, 429], `the third login is refused, on ${urls[2]}`)
  }
})

t.test('one IP gets AUTH_RATE_LIMIT_MAX registrations a minute over /api/register and /api/user/register together', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '2' } })
  const payload = { email: 'bad' }
  t.same(await statusesAcross(app, ['/api/register', '/api/user/register', '/api/register'], payload, '10.0.2.1'), [400, 400, 429])
  t.same(await statusesAcross(app, ['/api/user/register', '/api/register', '/api/user/register'], payload, '10.0.2.2'), [400, 400, 429])
})

t.test('the reset page\'s form spends the bucket of POST /api/password-reset/confirm, not the one of reset emails', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '2' } })
  const confirm = (url: string) => app.inject({ method: 'POST', url, payload: { token: 'x', newPassword: 'whatever-whatever' } })
  t.equal((await confirm('/api/password-reset/confirm')).statusCode, 400)
  t.equal((await confirm('/reset-password')).statusCode, 400)
  t.equal((await confirm('/api/password-reset/confirm')).statusCode, 429, 'the API route is out of attempts')
  t.equal((await confirm('/reset-password')).statusCode, 429, 'and so is the page')
  t.equal((await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'x@example.com' } })).statusCode, 202, 'asking for a reset email has its own bucket')
})
