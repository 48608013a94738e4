import { Writable } from 'node:stream'
import { eq } from 'drizzle-orm'
import pino from 'pino'
import t from 'tap'
import { emailTokens, users } from '../../../src/db/schema/index.js'
import { loggerOptions } from '../../../src/lib/logging.js'
import { build, firstLink, setupMail, strongPassword, tokenOf } from '../../helpers/index.js'

const mail = await setupMail(t)

t.test('POST /api/register creates an unverified account and emails a verification link', async (t) => {
  const app = await build(t, { env: mail.env })
  const since = mail.stub.emails.length
  const response = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'Alice@Example.COM', password: strongPassword, username: 'alice' } })
  t.equal(response.statusCode, 201)
  const body = response.json()
  t.match(body, { email: 'alice@example.com', username: 'alice', emailVerified: false })
  t.type(body.id, 'number')

  const [row] = await app.db.select().from(users).where(eq(users.id, body.id))
  t.equal(row?.email, 'alice@example.com', 'stored lower-cased')
  t.match(row?.passwordHash, /^\$2[aby]\$10\$/, 'bcrypt, cost 10')
  t.equal(row?.emailVerifiedAt, null)

  const email = await mail.next('alice@example.com', /confirm/i, since)
  t.equal(email.from, 'Bookstore <no-reply@example.test>')
  t.equal(email.headers.authorization, 'Bearer re_test_key', 'the real SDK authenticated with the key')
  const link = firstLink(email.text)
  t.match(link, /^http:\/\/localhost:3000\/api\/verify-email\/[A-Za-z0-9_-]{43}$/)
  t.ok(email.html.includes(link), 'the HTML body carries the same link')

  const [token] = await app.db.select().from(emailTokens).where(eq(emailTokens.userId, body.id))
  t.equal(token?.purpose, 'verify_email')
  t.not(token?.tokenHash, tokenOf(link), 'only a hash is stored')
  t.match(token?.tokenHash, /^[0-9a-f]{64}$/)
  const ttl = (token?.expiresAt.getTime() ?? 0) - Date.now()
  t.ok(ttl > 23.9 * 3600e3 && ttl <= 24 * 3600e3, 'valid for 24 hours')

  t.equal((await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'alice@example.com', password: strongPassword } })).json().code, 'EMAIL_NOT_VERIFIED', 'no tokens before verification')

  const verified = await app.inject({ method: 'GET', url: new URL(link).pathname })
  t.equal(verified.statusCode, 200)
  t.same(verified.json(), { verified: true })
  const [after] = await app.db.select().from(users).where(eq(users.id, body.id))
  t.not(after?.emailVerifiedAt, null)

  const again = await app.inject({ method: 'GET', url: new URL(link).pathname })
  t.equal(again.statusCode, 200, 'a used link answers 200 again once verified')

  const loggedIn = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'ALICE@example.com', password: strongPassword } })
  t.equal(loggedIn.statusCode, 200, 'login works once verified, email case-insensitive')
})

t.test('registration: username optional (null), duplicates refused, compat route deprecated', async (t) => {
  // Eleven registrations from one address, over both paths: more than the default per-IP budget.
  const app = await build(t, { env: { ...mail.env, AUTH_RATE_LIMIT_MAX: '100' } })
  const first = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'bob@example.com', password: strongPassword } })
  t.equal(first.statusCode, 201)
  t.equal(first.json().username, null)
  const explicitNull = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'dora@example.com', password: strongPassword, username: null } })
  t.equal(explicitNull.statusCode, 201, 'a form may send username: null')
  t.equal(explicitNull.json().username, null)

  const sameEmail = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'BOB@example.com', password: strongPassword } })
  t.equal(sameEmail.statusCode, 409)
  t.equal(sameEmail.json().code, 'EMAIL_TAKEN')

  t.equal((await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'carol@example.com', password: strongPassword, username: 'carol' } })).statusCode, 201)
  const sameName = await app.inject({ method: 'POST', url: '/api/user/register', payload: { email: 'carol2@example.com', password: strongPassword, username: 'carol' } })
  t.equal(sameName.statusCode, 409)
  t.equal(sameName.json().code, 'USERNAME_TAKEN')
  t.equal((await app.db.select().from(users)).length, 3, 'nothing stored on refusal')

  const compat = await app.inject({ method: 'POST', url: '/api/user/register', payload: { email: 'dave@example.com', password: strongPassword } })
  t.equal(compat.statusCode, 201, '/api/user/register is the same operation')

  const parallel = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/api/register', payload: { email: 'race@example.com', password: strongPassword } })))
  t.same(parallel.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409], 'one account under concurrency')

  const document = (await app.inject('/docs/json')).json()
  t.equal(document.paths['/api/user/register'].post.deprecated, true)
  t.equal(document.paths['/api/login'].post.deprecated, true)
  t.equal(document.paths['/api/refresh'].post.deprecated, true)
  t.equal(document.paths['/api/verify'].post.deprecated, true)
  t.equal(document.paths['/api/user/login'].post.deprecated, true)
  t.equal(document.paths['/api/user/logout'].post.deprecated, true)
  t.notOk(document.paths['/api/register'].post.deprecated)
})

t.test('registration validates the body and the password policy', async (t) => {
  const app = await build(t, { env: { ...mail.env, AUTH_RATE_LIMIT_MAX: '100' } })
  const cases: Array<[string, object, string]> = [
    ['unknown field', { email: 'x@example.com', password: strongPassword, role: 'admin' }, '/body/role'],
    ['bad email', { email: 'not-an-email', password: strongPassword }, '/body/email'],
    ['missing password', { email: 'x@example.com' }, '/body/password'],
    ['short password', { email: 'x@example.com', password: 'Ab1!xyz' }, '/body/password'],
    ['too long (chars)', { email: 'x@example.com', password: 'a'.repeat(73) }, '/body/password'],
    ['too long (bytes)', { email: 'x@example.com', password: 'é'.repeat(40) }, '/body/password'],
    ['common password', { email: 'x@example.com', password: 'password1' }, '/body/password'],
    ['common password, other case', { email: 'x@example.com', password: 'Sunshine' }, '/body/password'],
    ['the email itself', { email: 'longname@example.com', password: 'LongName@Example.com' }, '/body/password'],
    ['bad username', { email: 'x@example.com', password: strongPassword, username: 'a b' }, '/body/username']
  ]
  for (const [name, payload, path] of cases) {
    const response = await app.inject({ method: 'POST', url: '/api/register', payload })
    t.equal(response.statusCode, 400, name)
    t.equal(response.json().code, 'VALIDATION_FAILED', name)
    t.ok(response.json().errors.some((error: { path: string }) => error.path === path), `${name}: error at ${path}`)
  }
  t.equal((await app.db.select().from(users)).length, 0, 'nothing stored')
  const exactly72 = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'y@example.com', password: `Zq9-${'é'.repeat(34)}` } })
  t.equal(exactly72.statusCode, 201, '72 bytes is allowed')
})

t.test('verification links: unknown, expired, HTML page, POST, redirect to the frontend', async (t) => {
  const app = await build(t, { env: mail.env })
  const unknown = await app.inject({ method: 'GET', url: '/api/verify-email/nope' })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'TOKEN_INVALID')

  const register = async (email: string) => {
    const since = mail.stub.emails.length
    await app.inject({ method: 'POST', url: '/api/register', payload: { email, password: strongPassword } })
    return tokenOf(firstLink((await mail.next(email, /confirm/i, since)).text))
  }

  const expiredToken = await register('late@example.com')
  await app.db.update(emailTokens).set({ expiresAt: new Date(Date.now() - 1000) })
  const expired = await app.inject({ method: 'POST', url: `/api/verify-email/${expiredToken}` })
  t.equal(expired.statusCode, 400)
  t.equal(expired.json().code, 'TOKEN_EXPIRED')
  const expiredPage = await app.inject({ method: 'GET', url: `/api/verify-email/${expiredToken}`, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
  t.equal(expiredPage.statusCode, 400)
  t.match(expiredPage.headers['content-type'], /text\/html/)
  t.match(expiredPage.body, /expired/i)

  const token = await register('browser@example.com')
  const page = await app.inject({ method: 'GET', url: `/api/verify-email/${token}`, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<h1>Email verified<\/h1>/)

  const token2 = await register('spa@example.com')
  const posted = await app.inject({ method: 'POST', url: `/api/verify-email/${token2}` })
  t.equal(posted.statusCode, 200)
  t.same(posted.json(), { verified: true })
})

t.test('with FRONTEND_URL the email links to the frontend and browsers are redirected', async (t) => {
  const app = await build(t, { env: { ...mail.env, FRONTEND_URL: 'https://app.example.com' } })
  const since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'front@example.com', password: strongPassword } })
  const link = firstLink((await mail.next('front@example.com', /confirm/i, since)).text)
  t.match(link, /^https:\/\/app\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}$/)
  const redirect = await app.inject({ method: 'GET', url: `/api/verify-email/${tokenOf(link)}`, headers: { accept: 'text/html' } })
  t.equal(redirect.statusCode, 303)
  t.equal(redirect.headers.location, 'https://app.example.com/email-verified?status=verified')
  const bad = await app.inject({ method: 'GET', url: '/api/verify-email/unknown-token', headers: { accept: 'text/html' } })
  t.equal(bad.statusCode, 303)
  t.equal(bad.headers.location, 'https://app.example.com/email-verified?status=invalid')
  const json = await app.inject({ method: 'POST', url: `/api/verify-email/${tokenOf(link)}` })
  t.same(json.json(), { verified: true }, 'API clients still get JSON')
})

t.test('POST /api/verify-email/resend answers 202 whatever the email, and mails only unverified accounts', async (t) => {
  const app = await build(t, { env: mail.env })
  let since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'pending@example.com', password: strongPassword } })
  const firstToken = tokenOf(firstLink((await mail.next('pending@example.com', /confirm/i, since)).text))

  const unknown = await app.inject({ method: 'POST', url: '/api/verify-email/resend', payload: { email: 'nobody@example.com' } })
  since = mail.stub.emails.length
  const known = await app.inject({ method: 'POST', url: '/api/verify-email/resend', payload: { email: 'PENDING@example.com' } })
  t.equal(unknown.statusCode, 202)
  t.equal(known.statusCode, 202)
  t.same(unknown.json(), known.json(), 'the same answer')
  const resent = await mail.next('pending@example.com', /confirm/i, since)
  const secondToken = tokenOf(firstLink(resent.text))
  t.not(secondToken, firstToken)
  t.equal(mail.stub.sentTo('nobody@example.com').length, 0, 'nothing sent to an unknown address')

  t.equal((await app.inject({ method: 'GET', url: `/api/verify-email/${secondToken}` })).statusCode, 200)
  const countBefore = mail.stub.emails.length
  const verifiedAlready = await app.inject({ method: 'POST', url: '/api/verify-email/resend', payload: { email: 'pending@example.com' } })
  t.equal(verifiedAlready.statusCode, 202)
  await app.mailer.idle()
  t.equal(mail.stub.emails.length, countBefore, 'a verified account gets no new link')

  const notAnAddress = await app.inject({ method: 'POST', url: '/api/verify-email/resend', payload: { email: 'not an address' } })
  t.equal(notAnAddress.statusCode, 202, 'a string that is no address is answered like any unknown one')
  t.same(notAnAddress.json(), unknown.json())

  const badBody = await app.inject({ method: 'POST', url: '/api/verify-email/resend', payload: { email: 'pending@example.com', extra: 1 } })
  t.equal(badBody.statusCode, 400)
  const noEmail = await app.inject({ method: 'POST', url: '/api/verify-email/resend', payload: {} })
  t.equal(noEmail.statusCode, 400)
})

t.test('a provider failure never fails the request, and the email is sent once on the retry', async (t) => {
  const app = await build(t, { env: { ...mail.env, MAIL_RETRY_BASE_MS: '50' } })
  mail.stub.failNext(500, 1)
  const requestsBefore = mail.stub.requests.length
  const response = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'unlucky@example.com', password: strongPassword } })
  t.equal(response.statusCode, 201)
  await mail.next('unlucky@example.com', /confirm/i, 0)
  const tries = mail.stub.requests.slice(requestsBefore)
  t.same(tries.map((request) => request.answer), [500, 200], 'refused once, then accepted')
  t.equal(tries[0]?.idempotencyKey, tries[1]?.idempotencyKey, 'the retry carries the same idempotency key')
  t.equal(mail.stub.sentTo('unlucky@example.com').length, 1)
})

t.test('without RESEND_API_KEY each email goes through the outbox to the log, link included', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    }
  })
  const app = await build(t, { logger: pino(loggerOptions('info'), stream) })
  const response = await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'dev@example.com', password: strongPassword } })
  t.equal(response.statusCode, 201)
  await app.mailer.idle()
  const logged = lines.find((line) => line.mail !== undefined) as { level: number, mail: { to: string, subject: string, text: string } } | undefined
  t.ok(logged, 'the email is in the log')
  t.equal(logged?.level, 30, 'at info level')
  t.equal(logged?.mail.to, 'dev@example.com')
  const link = firstLink(logged?.mail.text ?? '')
  t.equal((await app.inject({ method: 'GET', url: new URL(link).pathname })).statusCode, 200, 'the logged link works')
  t.notOk(JSON.stringify(lines).includes(strongPassword), 'the password never reaches the log')
})
