import { isNotNull, sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { refreshTokens } from '../../../src/db/schema/index.js'
import { bearer, build, createUser, testPassword, type TestApp } from '../../helpers/index.js'

const frontend = 'http://localhost:5173'
const cookieName = 'bookstore_refresh'

/** The refresh cookie a response sets, with its attributes. */
function refreshCookieOf (response: LightMyRequestResponse) {
  return response.cookies.find((cookie) => cookie.name === cookieName)
}

async function cookieLogin (app: TestApp, email: string) {
  const response = await app.inject({ method: 'POST', url: '/api/token', payload: { email, password: testPassword, refreshCookie: true } })
  const cookie = refreshCookieOf(response)
  if (response.statusCode !== 200 || cookie === undefined) throw new Error(`cookie login answered ${response.statusCode}: ${response.body}`)
  return { response, cookie: cookie.value, access: response.json<{ access: string }>().access }
}

/** The cookie as a browser sends it, from `origin` (null: no Origin header, as a non-browser client). */
const viaCookie = (cookie: string, origin: string | null = frontend) => ({
  cookie: `${cookieName}=${cookie}`,
  ...(origin === null ? {} : { origin })
})

const refresh = async (app: TestApp, cookie: string, origin: string | null = frontend) =>
  await app.inject({ method: 'POST', url: '/api/token/refresh', headers: viaCookie(cookie, origin) })

t.test('cookie mode: login sets an HttpOnly, Secure, SameSite=Strict cookie and keeps refresh out of the body', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: frontend } })
  await createUser(app, { email: 'carol@example.com' })
  const { response } = await cookieLogin(app, 'carol@example.com')
  t.match(refreshCookieOf(response), { httpOnly: true, secure: true, sameSite: 'Strict', path: '/api', maxAge: 604800 })
  const body = response.json()
  t.notOk('refresh' in body, 'no refresh token where scripts can read it')
  t.match(body, { access: String, tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 604800 })

  const plain = await app.inject({ method: 'POST', url: '/api/login', payload: { email: 'carol@example.com', password: testPassword } })
  t.equal(refreshCookieOf(plain), undefined, 'without refreshCookie, no cookie')
  t.type(plain.json().refresh, 'string')
})

t.test('refresh via the cookie rotates it; the old cookie replayed ends the session; logout clears it', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: frontend } })
  await createUser(app, { email: 'dan@example.com' })
  const first = await cookieLogin(app, 'dan@example.com')

  const rotated = await refresh(app, first.cookie)
  t.equal(rotated.statusCode, 200)
  const next = refreshCookieOf(rotated)
  t.match(next, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/api' })
  t.not(next?.value, first.cookie, 'the cookie carries the successor')
  t.notOk('refresh' in rotated.json())
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(rotated.json().access) })).statusCode, 200)

  const replay = await refresh(app, first.cookie)
  t.equal(replay.statusCode, 401)
  t.equal(replay.json().code, 'TOKEN_REVOKED', 'a spent cookie replayed ends the session')
  t.equal((await refresh(app, String(next?.value))).json().code, 'TOKEN_REVOKED', 'the successor too')

  const second = await cookieLogin(app, 'dan@example.com')
  const logout = await app.inject({ method: 'POST', url: '/api/user/logout', headers: { ...bearer(second.access), ...viaCookie(second.cookie) } })
  t.equal(logout.statusCode, 204)
  t.match(refreshCookieOf(logout), { value: '', maxAge: 0, path: '/api' }, 'logout clears the cookie')
  t.equal((await refresh(app, second.cookie)).json().code, 'TOKEN_REVOKED', 'and ends its session')
})

t.test('the cookie is honoured only from an allowed Origin (CORS_ORIGINS or PUBLIC_URL); a body token wins', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: frontend, PUBLIC_URL: 'https://api.example.com/' } })
  await createUser(app, { email: 'erin@example.com' })
  const { cookie, access } = await cookieLogin(app, 'erin@example.com')

  for (const origin of ['https://evil.example', 'null', null]) {
    const refused = await refresh(app, cookie, origin)
    t.equal(refused.statusCode, 401, `Origin ${String(origin)}: the cookie is ignored`)
    t.equal(refused.json().code, 'UNAUTHENTICATED')
    t.equal(refreshCookieOf(refused), undefined)
  }
  const ignoredLogout = await app.inject({ method: 'POST', url: '/api/logout', headers: { ...bearer(access), ...viaCookie(cookie, 'https://evil.example') } })
  t.equal(ignoredLogout.statusCode, 204)
  t.equal(refreshCookieOf(ignoredLogout), undefined, 'a foreign origin cannot end the cookie session')

  const own = await refresh(app, cookie, 'https://api.example.com')
  t.equal(own.statusCode, 200, "the API's own origin is allowed")
  const body = await app.inject({ method: 'POST', url: '/api/refresh', payload: {} })
  t.equal(body.json().code, 'UNAUTHENTICATED', 'no token at all: 401')

  const login = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'erin@example.com', password: testPassword } })
  const viaBody = await app.inject({ method: 'POST', url: '/api/refresh', headers: viaCookie(String(refreshCookieOf(own)?.value)), payload: { refresh: login.json().refresh } })
  t.equal(viaBody.statusCode, 200)
  t.type(viaBody.json().refresh, 'string', 'a body token is answered in the body')
  t.equal(refreshCookieOf(viaBody), undefined, 'and leaves the cookie alone')
})

t.test('REFRESH_REUSE_INTERVAL_SECONDS: parallel refreshes get the same successor; after the interval a reuse ends the session', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: frontend, REFRESH_REUSE_INTERVAL_SECONDS: '5' } })
  await createUser(app, { email: 'finn@example.com' })
  const { cookie } = await cookieLogin(app, 'finn@example.com')

  const [a, b] = await Promise.all([refresh(app, cookie), refresh(app, cookie)])
  t.equal(a?.statusCode, 200)
  t.equal(b?.statusCode, 200, 'two tabs refreshing at once both succeed')
  const successor = refreshCookieOf(a)?.value
  t.equal(refreshCookieOf(b)?.value, successor, 'with the same successor')
  const stored = await app.db.select().from(refreshTokens)
  t.equal(stored.length, 2, 'one successor recorded, no token stored in plain')

  const body = await app.inject({ method: 'POST', url: '/api/login', payload: { email: 'finn@example.com', password: testPassword } })
  const parent = body.json().refresh
  const spent = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: parent } })
  const again = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: parent } })
  t.equal(again.json().refresh, spent.json().refresh, 'a retried body refresh within the interval gets the same successor')

  // The rotations happened ten seconds ago, as far as the database knows.
  await app.db.update(refreshTokens).set({ spentAt: sql`${refreshTokens.spentAt} - interval 10 second` }).where(isNotNull(refreshTokens.spentAt))
  const late = await refresh(app, cookie)
  t.equal(late.statusCode, 401)
  t.equal(late.json().code, 'TOKEN_REVOKED', 'after the interval a reuse ends the session')
  t.equal((await refresh(app, String(successor))).json().code, 'TOKEN_REVOKED', 'the successor too')
})
