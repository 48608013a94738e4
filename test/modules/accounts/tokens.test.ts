import { createHmac, randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { refreshTokens, revokedAccessTokens, users } from '../../../src/db/schema/index.js'
import { bearer, build, createUser, login, testJwtSecret, testPassword } from '../../helpers/index.js'

const b64 = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A JWT signed by hand, to play the attacker. */
function forge (header: object, payload: object, secret: string | undefined, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  const unsigned = `${b64(header)}.${b64(payload)}`
  const signature = secret === undefined ? '' : createHmac(algorithm, secret).update(unsigned).digest('base64url')
  return `${unsigned}.${signature}`
}

function claimsFor (userId: number, overrides: object = {}) {
  const now = Math.floor(Date.now() / 1000)
  return { sub: String(userId), typ: 'access', ver: 0, jti: randomUUID(), iat: now, exp: now + 600, iss: 'bookstore-api', aud: 'bookstore-api', ...overrides }
}

t.test('POST /api/token issues a token pair by email or username; the compat routes too', async (t) => {
  const app = await build(t)
  const alice = await createUser(app, { email: 'alice@example.com', username: 'alice' })
  const response = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'Alice@Example.com', password: testPassword } })
  t.equal(response.statusCode, 200)
  const pair = response.json()
  t.match(pair, { tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 604800, access: String, refresh: String })
  t.equal(response.headers['cache-control'], 'no-store', 'tokens are never cached (RFC 6749 §5.1)')

  const me = await app.inject({ method: 'GET', url: '/api/me', headers: bearer(pair.access) })
  t.equal(me.statusCode, 200)
  t.match(me.json(), { id: alice.id, email: 'alice@example.com', username: 'alice', role: 'user', emailVerified: true, createdAt: /Z$/ })
  const drf = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Token ${pair.access}` } })
  t.equal(drf.statusCode, 200, 'the DRF-style Token scheme is accepted')

  const [row] = await app.db.select().from(refreshTokens).where(eq(refreshTokens.userId, alice.id))
  t.ok(row, 'the refresh token is recorded')
  t.equal(row?.spentAt, null)

  for (const url of ['/api/login', '/api/user/login']) {
    const compat = await app.inject({ method: 'POST', url, payload: { username: 'alice', password: testPassword } })
    t.equal(compat.statusCode, 200, `${url} logs in by username`)
  }
  const emailAsUsername = await app.inject({ method: 'POST', url: '/api/token', payload: { username: 'alice@example.com', password: testPassword } })
  t.equal(emailAsUsername.statusCode, 200, 'an email in the username field works too')
})

t.test('bad credentials: same answer for an unknown user and a wrong password; unverified; bad bodies', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '100' } })
  await createUser(app, { email: 'bob@example.com', username: 'bob' })
  await createUser(app, { email: 'new@example.com', verified: false })

  const time = async (payload: object) => {
    const started = process.hrtime.bigint()
    const response = await app.inject({ method: 'POST', url: '/api/token', payload })
    return { response, ms: Number(process.hrtime.bigint() - started) / 1e6 }
  }
  // The app's bcrypt pool starts its threads on first use: start one before timing.
  await app.passwordHasher.hash('warm-up')
  const wrong = await time({ email: 'bob@example.com', password: 'not the password' })
  const unknown = await time({ email: 'nobody@example.com', password: 'not the password' })
  t.equal(wrong.response.statusCode, 401)
  t.equal(unknown.response.statusCode, 401)
  t.same(unknown.response.json(), wrong.response.json(), 'identical bodies')
  t.equal(wrong.response.json().code, 'INVALID_CREDENTIALS')
  // The unknown user spends a full cost-10 bcrypt comparison (the test users are hashed at cost 4).
  t.ok(unknown.ms >= wrong.ms * 0.5, `unknown user took ${unknown.ms.toFixed(1)} ms, wrong password ${wrong.ms.toFixed(1)} ms`)

  const tooLong = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'bob@example.com', password: `${testPassword}${'x'.repeat(80)}` } })
  t.equal(tooLong.json().code, 'INVALID_CREDENTIALS', 'a password past 72 bytes never matches on its prefix')

  const unverified = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'new@example.com', password: testPassword } })
  t.equal(unverified.statusCode, 403)
  t.equal(unverified.json().code, 'EMAIL_NOT_VERIFIED')
  const unverifiedWrong = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'new@example.com', password: 'nope nope nope' } })
  t.equal(unverifiedWrong.json().code, 'INVALID_CREDENTIALS', 'verification status is only told to the right password')

  for (const payload of [{ password: testPassword }, { email: 'bob@example.com', username: 'bob', password: testPassword }, { email: 'bob@example.com', password: testPassword, remember: true }, { email: 'bob@example.com' }]) {
    const response = await app.inject({ method: 'POST', url: '/api/token', payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(response.json().code, 'VALIDATION_FAILED')
  }
})

t.test('refresh rotates; a reused refresh token revokes its whole family', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  const first = await login(app, user.email, testPassword)

  const rotated = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: first.refresh } })
  t.equal(rotated.statusCode, 200)
  t.equal(rotated.headers['cache-control'], 'no-store')
  const second = rotated.json()
  t.not(second.refresh, first.refresh)
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(second.access) })).statusCode, 200)

  const viaCompat = await app.inject({ method: 'POST', url: '/api/refresh', payload: { refresh: second.refresh } })
  t.equal(viaCompat.statusCode, 200, '/api/refresh is the same operation')
  const third = viaCompat.json()

  const reuse = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: first.refresh } })
  t.equal(reuse.statusCode, 401)
  t.equal(reuse.json().code, 'TOKEN_REVOKED')
  t.equal(reuse.headers['www-authenticate'], 'Bearer realm="bookstore", error="invalid_token"')
  const newest = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: third.refresh } })
  t.equal(newest.statusCode, 401, 'the newest token of the family is dead too')
  t.equal(newest.json().code, 'TOKEN_REVOKED')

  const other = await login(app, user.email, testPassword)
  t.equal((await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: other.refresh } })).statusCode, 200, 'another session is untouched')

  const asAccess = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: other.access } })
  t.equal(asAccess.statusCode, 401)
  t.equal(asAccess.json().code, 'TOKEN_INVALID', 'an access token is no refresh token')
  const garbage = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: 'not.a.jwt' } })
  t.equal(garbage.json().code, 'TOKEN_INVALID')
  const unknownBody = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: other.refresh, extra: 1 } })
  t.equal(unknownBody.statusCode, 400)
})

t.test('two parallel refreshes with the same token: exactly one succeeds', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  for (let round = 0; round < 5; round++) {
    const pair = await login(app, user.email, testPassword)
    const responses = await Promise.all(Array.from({ length: 4 }, () => app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: pair.refresh } })))
    const statuses = responses.map((response) => response.statusCode).sort()
    t.same(statuses, [200, 401, 401, 401], `round ${round}`)
    const winner = responses.find((response) => response.statusCode === 200)?.json()
    const next = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: winner.refresh } })
    t.equal(next.json().code, 'TOKEN_REVOKED', 'the reuse revoked the family, the winner\'s new token included')
  }
})

t.test('a token past its lifetime is 401 TOKEN_EXPIRED on routes and on refresh, and 400 TOKEN_EXPIRED on verify', async (t) => {
  // The tokens are issued by a clock set back by their lifetime and a second: what waiting that long would do.
  let issuedAt = Date.now()
  const app = await build(t, { now: () => issuedAt })
  const user = await createUser(app)
  const fresh = await login(app, user.email, testPassword)
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(fresh.access) })).statusCode, 200, 'a token of now is accepted')
  issuedAt = Date.now() - (Math.max(app.config.ACCESS_TOKEN_TTL, app.config.REFRESH_TOKEN_TTL) + 1) * 1000
  const pair = await login(app, user.email, testPassword)
  const me = await app.inject({ method: 'GET', url: '/api/me', headers: bearer(pair.access) })
  t.equal(me.statusCode, 401)
  t.equal(me.json().code, 'TOKEN_EXPIRED')
  const refresh = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: pair.refresh } })
  t.equal(refresh.statusCode, 401)
  t.equal(refresh.json().code, 'TOKEN_EXPIRED')
  const verify = await app.inject({ method: 'POST', url: '/api/token/verify', payload: { token: pair.access } })
  t.equal(verify.statusCode, 400)
  t.equal(verify.json().code, 'TOKEN_EXPIRED')
})

t.test('POST /api/token/verify', async (t) => {
  const app = await build(t)
  const verify = async (token: string) => await app.inject({ method: 'POST', url: '/api/token/verify', payload: { token } })

  t.test('a valid access token is 200 with its user and expiry; a refresh token too, on the compat route as well', async (t) => {
    const user = await createUser(app)
    const pair = await login(app, user.email, testPassword)
    const valid = await verify(pair.access)
    t.equal(valid.statusCode, 200)
    t.match(valid.json(), { valid: true, userId: user.id, expiresAt: /Z$/ })
    const expiresIn = new Date(valid.json().expiresAt).getTime() - Date.now()
    t.ok(expiresIn > 890e3 && expiresIn <= 900e3)
    t.equal((await app.inject({ method: 'POST', url: '/api/verify', payload: { token: pair.refresh } })).statusCode, 200, 'refresh tokens too, and the compat route')
  })

  t.test('a malformed or forged token is 400 TOKEN_INVALID', async (t) => {
    const user = await createUser(app)
    const invalid = await verify('abc')
    t.equal(invalid.statusCode, 400)
    t.equal(invalid.json().code, 'TOKEN_INVALID')
    const forged = await verify(forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(user.id), 'wrong-secret-wrong-secret-wrong-secret'))
    t.equal(forged.json().code, 'TOKEN_INVALID')
  })

  t.test('after logout, the access and the refresh token are 400 TOKEN_REVOKED', async (t) => {
    const user = await createUser(app)
    const pair = await login(app, user.email, testPassword)
    t.equal((await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(pair.access), payload: { refresh: pair.refresh } })).statusCode, 204)
    const revoked = await verify(pair.access)
    t.equal(revoked.statusCode, 400)
    t.equal(revoked.json().code, 'TOKEN_REVOKED')
    t.equal((await verify(pair.refresh)).json().code, 'TOKEN_REVOKED')
  })

  t.test('a token issued before the user\'s tokenVersion moved on is 400 TOKEN_REVOKED', async (t) => {
    const user = await createUser(app)
    const fresh = await login(app, user.email, testPassword)
    t.equal((await verify(fresh.access)).statusCode, 200, 'valid before')
    await app.db.update(users).set({ tokenVersion: 5 }).where(eq(users.id, user.id))
    const stale = await verify(fresh.access)
    t.equal(stale.statusCode, 400)
    t.equal(stale.json().code, 'TOKEN_REVOKED', 'tokenVersion is checked')
  })
})

t.test('JWT attacks answer 401, never 500', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  const pair = await login(app, user.email, testPassword)
  const [header, payload] = pair.access.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const attacks: Record<string, string> = {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(user.id))}.`,
    'alg none, signature kept': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${pair.access.split('.')[2]}`,
    'HS512 with the right secret': forge({ alg: 'HS512', typ: 'JWT' }, claimsFor(user.id), testJwtSecret, 'sha512'),
    'wrong key': forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(user.id), 'another-secret-that-is-32-characters-long'),
    'tampered payload': `${header}.${b64({ ...claims, sub: String(user.id + 1), role: 'admin' })}.${pair.access.split('.')[2]}`,
    'wrong issuer': forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(user.id, { iss: 'evil' }), testJwtSecret),
    'wrong audience': forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(user.id, { aud: 'evil' }), testJwtSecret),
    'no jti': forge({ alg: 'HS256', typ: 'JWT' }, { ...claimsFor(user.id), jti: undefined }, testJwtSecret),
    'refresh token as access token': pair.refresh,
    garbage: 'a.b.c',
    'not even a JWT': 'hello'
  }
  for (const [name, token] of Object.entries(attacks)) {
    const response = await app.inject({ method: 'GET', url: '/api/me', headers: bearer(token) })
    t.equal(response.statusCode, 401, name)
    t.equal(response.json().code, 'TOKEN_INVALID', name)
  }
  const expired = forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(user.id, { iat: 1000, exp: 2000 }), testJwtSecret)
  const expiredResponse = await app.inject({ method: 'GET', url: '/api/me', headers: bearer(expired) })
  t.equal(expiredResponse.statusCode, 401)
  t.equal(expiredResponse.json().code, 'TOKEN_EXPIRED')
  const validForged = forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(user.id), testJwtSecret)
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(validForged) })).statusCode, 200, 'control: a correctly signed token passes')
  t.equal((await app.inject({ method: 'GET', url: '/api/me' })).json().code, 'UNAUTHENTICATED')
  await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(pair.access) })
  const revoked = await app.inject({ method: 'GET', url: '/api/me', headers: bearer(pair.access) })
  t.equal(revoked.statusCode, 401)
  t.equal(revoked.json().code, 'TOKEN_REVOKED')
})

t.test('logout is honoured by a second instance on the same database', async (t) => {
  const app = await build(t)
  const other = await build(t, { databaseUrl: app.config.DATABASE_URL })
  const user = await createUser(app)
  const stranger = await createUser(app)
  const pair = await login(app, user.email, testPassword)
  const strangerPair = await login(app, stranger.email, testPassword)
  t.equal((await other.inject({ method: 'GET', url: '/api/me', headers: bearer(pair.access) })).statusCode, 200)

  // Someone else's refresh token is not revoked by my logout.
  const logout = await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(pair.access), payload: { refresh: strangerPair.refresh } })
  t.equal(logout.statusCode, 204)
  const [denied] = await app.db.select().from(revokedAccessTokens)
  t.equal(denied?.userId, user.id)
  t.ok(Math.abs((denied?.expiresAt.getTime() ?? 0) - (Date.now() + 900e3)) < 5000, 'denylisted until the token expires')

  for (const instance of [app, other]) {
    const me = await instance.inject({ method: 'GET', url: '/api/me', headers: bearer(pair.access) })
    t.equal(me.statusCode, 401)
    t.equal(me.json().code, 'TOKEN_REVOKED')
  }
  t.equal((await other.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: strangerPair.refresh } })).statusCode, 200, 'the stranger\'s session lives')
  t.equal((await other.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: pair.refresh } })).statusCode, 200, 'without `refresh`, only the access token is logged out')

  const second = await login(other, user.email, testPassword)
  t.equal((await other.inject({ method: 'POST', url: '/api/user/logout', headers: bearer(second.access), payload: { refresh: second.refresh } })).statusCode, 204)
  const refused = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: second.refresh } })
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'TOKEN_REVOKED')

  const third = await login(app, user.email, testPassword)
  const bad = await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(third.access), payload: { refresh: third.refresh, all: true } })
  t.equal(bad.statusCode, 400, 'unknown body fields are refused')
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(third.access) })).statusCode, 200, 'a refused logout changed nothing')
  t.equal((await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(third.access) })).statusCode, 204, 'no body is fine')
  t.equal((await app.inject({ method: 'POST', url: '/api/logout' })).statusCode, 401)
})

t.test('POST /api/logout/all ends every session of the user, and only theirs', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  const bystander = await createUser(app)
  const sessions = [await login(app, user.email, testPassword), await login(app, user.email, testPassword)]
  const theirs = await login(app, bystander.email, testPassword)
  t.equal((await app.inject({ method: 'POST', url: '/api/logout/all', headers: bearer(sessions[0]?.access ?? '') })).statusCode, 204)
  for (const session of sessions) {
    t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(session.access) })).json().code, 'TOKEN_REVOKED')
    t.equal((await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: session.refresh } })).json().code, 'TOKEN_REVOKED')
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(theirs.access) })).statusCode, 200)
  const fresh = await login(app, user.email, testPassword)
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(fresh.access) })).statusCode, 200, 'a new login works')
})

t.test('PATCH /api/me', async (t) => {
  const app = await build(t)
  await createUser(app, { username: 'taken_name' })
  const userRow = async (id: number) => (await app.db.select().from(users).where(eq(users.id, id)))[0]

  t.test('changes the caller\'s username and answers the account', async (t) => {
    const user = await createUser(app, { username: 'first_name' })
    const renamed = await app.inject({ method: 'PATCH', url: '/api/me', headers: user.headers, payload: { username: 'second.name' } })
    t.equal(renamed.statusCode, 200)
    t.match(renamed.json(), { id: user.id, username: 'second.name', email: user.email })
  })

  t.test('a username someone else has is 409 USERNAME_TAKEN', async (t) => {
    const user = await createUser(app, { username: 'first_name2' })
    const taken = await app.inject({ method: 'PATCH', url: '/api/me', headers: user.headers, payload: { username: 'taken_name' } })
    t.equal(taken.statusCode, 409)
    t.equal(taken.json().code, 'USERNAME_TAKEN')
    t.equal((await userRow(user.id))?.username, 'first_name2', 'unchanged')
  })

  t.test('a role in the body is 400 at /body/role and the role stays user', async (t) => {
    const user = await createUser(app, { username: 'first_name3' })
    const massAssignment = await app.inject({ method: 'PATCH', url: '/api/me', headers: user.headers, payload: { username: 'x_name', role: 'admin' } })
    t.equal(massAssignment.statusCode, 400)
    t.ok(massAssignment.json().errors.some((error: { path: string }) => error.path === '/body/role'))
    t.match(await userRow(user.id), { role: 'user', username: 'first_name3' })
  })

  t.test('username null clears the username', async (t) => {
    const user = await createUser(app, { username: 'first_name4' })
    const cleared = await app.inject({ method: 'PATCH', url: '/api/me', headers: user.headers, payload: { username: null } })
    t.equal(cleared.json().username, null)
    t.match(await userRow(user.id), { role: 'user', username: null })
  })

  t.test('without a token it is 401', async (t) => {
    t.equal((await app.inject({ method: 'PATCH', url: '/api/me', payload: { username: 'anon' } })).statusCode, 401)
  })
})
