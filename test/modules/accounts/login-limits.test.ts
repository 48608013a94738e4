import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { build, createUser, firstLink, otherStrongPassword, setupMail, testPassword, tokenOf, type TestApp } from '../../helpers/index.js'

const mail = await setupMail(t)
const unique = () => randomBytes(4).toString('hex')
const redisUrl = 'redis://127.0.0.1:6379'

/** The per-IP bucket and the overall limit out of the way, so only the login limiter answers 429. */
function limiterEnv (store: 'database' | 'redis', prefix: string): Record<string, string> {
  return {
    ...mail.env,
    AUTH_RATE_LIMIT_MAX: '100000',
    RATE_LIMIT_MAX: '100000',
    // A prefix of the file's own, so reruns and parallel files never share a counter in Redis.
    RATE_LIMIT_KEY_PREFIX: prefix,
    ...(store === 'redis' ? { REDIS_URL: redisUrl } : {})
  }
}

const attempt = (app: TestApp, payload: object, remoteAddress: string) =>
  app.inject({ method: 'POST', url: '/api/token', payload, remoteAddress })

/** `n` attempts sent together; how many got each status. */
async function inParallel (app: TestApp, n: number, payload: object, remoteAddress: string) {
  const responses = await Promise.all(Array.from({ length: n }, async () => await attempt(app, payload, remoteAddress)))
  const tally: Record<number, number> = {}
  for (const response of responses) tally[response.statusCode] = (tally[response.statusCode] ?? 0) + 1
  return { tally, responses }
}

async function resetPassword (app: TestApp, email: string, newPassword: string): Promise<void> {
  const since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email } })
  const token = tokenOf(firstLink((await mail.next(email, /reset/i, since)).text))
  const confirmed = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token, newPassword } })
  if (confirmed.statusCode !== 204) throw new Error(`confirm answered ${confirmed.statusCode}: ${confirmed.body}`)
}

for (const store of ['database', 'redis'] as const) {
  t.test(`login limits per (account, IP), counted before the password (${store})`, async (t) => {
    const prefix = `test-${unique()}:`
    const app = await build(t, { env: limiterEnv(store, prefix) })
    const victim = await createUser(app, { email: `victim-${unique()}@example.com` })
    const attacker = `10.9.${Math.floor(Math.random() * 250)}.1`

    t.test('100 parallel wrong guesses from one IP: at most the limit get 401, the rest 429', async (t) => {
      const { tally, responses } = await inParallel(app, 100, { email: victim.email, password: 'wrong password!' }, attacker)
      t.same(tally, { 401: 10, 429: 90 })
      const refused = responses.find((response) => response.statusCode === 429)
      t.equal(refused?.json().code, 'RATE_LIMITED')
      const retryAfter = Number(refused?.headers['retry-after'])
      t.ok(retryAfter > 14 * 60 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}s`)
      t.match(refused?.headers, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' }, 'the headers describe the pair\'s limit')

      t.equal((await attempt(app, { email: victim.email, password: testPassword }, attacker)).statusCode, 429, 'the right password from that IP waits too')
      t.equal((await attempt(app, { email: victim.email.toUpperCase(), password: testPassword }, attacker)).statusCode, 429, 'the email is normalised')
      t.equal((await attempt(app, { email: victim.email, password: testPassword }, '10.8.0.2')).statusCode, 200, 'another IP still logs in: nobody can lock the victim out')
      t.equal((await attempt(app, { username: victim.username, password: testPassword }, attacker)).statusCode, 200,
        'the username is a counter of its own, so locking the email tells nothing about which username it belongs to')
    })

    t.test('an unknown account answers alike', async (t) => {
      const ghost = `ghost-${unique()}@example.com`
      const known = await inParallel(app, 30, { email: victim.email, password: 'wrong password!' }, '10.7.0.1')
      const unknown = await inParallel(app, 30, { email: ghost, password: 'wrong password!' }, '10.7.0.1')
      t.same(unknown.tally, known.tally)
      for (const status of [401, 429]) {
        const body = (responses: typeof known.responses) => responses.find((response) => response.statusCode === status)?.json()
        t.same(body(unknown.responses), body(known.responses), `the same ${status}`)
      }
    })

    t.test('successful logins are not counted', async (t) => {
      const user = await createUser(app)
      const address = '10.6.0.1'
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 9; i++) t.equal((await attempt(app, { email: user.email, password: 'wrong password!' }, address)).statusCode, 401)
        t.equal((await attempt(app, { email: user.email, password: testPassword }, address)).statusCode, 200, `round ${round}: the tenth, right, try`)
      }
    })

    t.test('a completed password reset lifts the lock, from every IP, by email and by username', async (t) => {
      const user = await createUser(app, { email: `reset-${unique()}@example.com` })
      for (const address of ['10.5.0.1', '10.5.0.2']) {
        await inParallel(app, 11, { email: user.email, password: 'wrong password!' }, address)
        await inParallel(app, 11, { username: user.username, password: 'wrong password!' }, address)
        t.equal((await attempt(app, { email: user.email, password: testPassword }, address)).statusCode, 429)
      }
      await resetPassword(app, user.email, otherStrongPassword)
      for (const address of ['10.5.0.1', '10.5.0.2']) {
        t.equal((await attempt(app, { email: user.email, password: otherStrongPassword }, address)).statusCode, 200, `by email from ${address}`)
        t.equal((await attempt(app, { username: user.username, password: otherStrongPassword }, address)).statusCode, 200, `by username from ${address}`)
      }
    })

    if (store === 'redis') {
      t.test('the Redis keys carry the prefix and hashed accounts: no email, nothing undefined', async (t) => {
        const redis = new Redis(redisUrl)
        t.teardown(() => redis.disconnect())
        const keys = await redis.keys(`${prefix}login-failures:*`)
        t.ok(keys.length > 0)
        for (const key of keys) t.match(key, new RegExp(`^${prefix}login-failures:\\{[0-9a-f]{64}\\}(:[0-9.]+)?$`))
        t.notOk(keys.some((key) => key.includes('@') || key.includes('undefined')))
      })
    }
  })
}

t.test('LOGIN_FAILURE_LIMIT and LOGIN_FAILURE_WINDOW_SECONDS set the limit', async (t) => {
  const app = await build(t, { env: { ...limiterEnv('database', 'unused:'), LOGIN_FAILURE_LIMIT: '3', LOGIN_FAILURE_WINDOW_SECONDS: '60' } })
  const user = await createUser(app)
  const { tally, responses } = await inParallel(app, 10, { email: user.email, password: 'wrong password!' }, '10.4.0.1')
  t.same(tally, { 401: 3, 429: 7 })
  const retryAfter = Number(responses.find((response) => response.statusCode === 429)?.headers['retry-after'])
  t.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After ${retryAfter}s`)
})
