import { eq } from 'drizzle-orm'
import t from 'tap'
import { emailTokens, users } from '../../../src/db/schema/index.js'
import { withPasswordHasher } from '../../../src/modules/accounts/bcrypt-pool.js'
import { checkPasswordPolicy } from '../../../src/modules/accounts/passwords.js'
import { bearer, build, codeOf, firstLink, login, otherStrongPassword, registerUser, setupMail, strongPassword } from '../../helpers/index.js'

const mail = await setupMail(t)

t.test('checkPasswordPolicy and the password hasher (also used by the admin CLI)', async (t) => {
  t.same(checkPasswordPolicy(strongPassword, 'a@example.com'), [])
  t.match(checkPasswordPolicy('short', 'a@example.com'), [/at least 8/])
  t.match(checkPasswordPolicy('ü'.repeat(37), 'a@example.com'), [/72 bytes/])
  t.match(checkPasswordPolicy('qwertyuiop', 'a@example.com'), [/common/])
  t.match(checkPasswordPolicy('Someone@Example.com', 'someone@example.com'), [/email/])
  await withPasswordHasher(async (hasher) => {
    const hash = await hasher.hash(strongPassword)
    t.match(hash, /^\$2[aby]\$10\$/)
    t.ok(await hasher.verify(strongPassword, hash))
    t.notOk(await hasher.verify(otherStrongPassword, hash))
  })
})

t.test('password change: code by email, then every token stops working and a notice is sent', async (t) => {
  const app = await build(t, { env: mail.env })
  const other = await build(t, { env: mail.env, databaseUrl: app.config.DATABASE_URL })
  const user = await registerUser(app, mail, { email: 'carol@example.com' })
  const pair = await login(app, user.email, user.password)
  const elsewhere = await login(other, user.email, user.password)

  let since = mail.stub.emails.length
  const start = await app.inject({ method: 'GET', url: '/api/change-password', headers: bearer(pair.access) })
  t.equal(start.statusCode, 202)
  const sent = await mail.next(user.email, /code/i, since)
  const code = codeOf(sent.text)
  t.match(code, /^\d{6,}$/)
  t.ok(sent.html.includes(code), 'the code is in the HTML body too')
  const [row] = await app.db.select().from(emailTokens).where(eq(emailTokens.purpose, 'change_password'))
  t.not(row?.tokenHash, code, 'only a hash is stored')
  const ttl = (row?.expiresAt.getTime() ?? 0) - Date.now()
  t.ok(ttl > 14.9 * 60e3 && ttl <= 15 * 60e3, 'valid for 15 minutes')

  const wrongCurrent = await app.inject({ method: 'POST', url: '/api/change-password', headers: bearer(pair.access), payload: { code, currentPassword: 'not-my-password', newPassword: otherStrongPassword } })
  t.equal(wrongCurrent.statusCode, 400)
  t.equal(wrongCurrent.json().code, 'INVALID_CREDENTIALS')
  const weak = await app.inject({ method: 'POST', url: '/api/change-password', headers: bearer(pair.access), payload: { code, currentPassword: user.password, newPassword: 'password123' } })
  t.equal(weak.statusCode, 400)
  t.equal(weak.json().code, 'VALIDATION_FAILED')
  t.same(weak.json().errors.map((error: { path: string }) => error.path), ['/body/newPassword'])
  const extra = await app.inject({ method: 'POST', url: '/api/change-password', headers: bearer(pair.access), payload: { code, currentPassword: user.password, newPassword: otherStrongPassword, role: 'admin' } })
  t.equal(extra.statusCode, 400)

  since = mail.stub.emails.length
  const changed = await app.inject({ method: 'POST', url: '/api/change-password', headers: bearer(pair.access), payload: { code, currentPassword: user.password, newPassword: otherStrongPassword } })
  t.equal(changed.statusCode, 204)
  const notice = await mail.next(user.email, /password was changed/i, since)
  t.match(notice.text, /changed/)

  for (const [instance, session] of [[app, pair], [other, elsewhere]] as const) {
    const me = await instance.inject({ method: 'GET', url: '/api/me', headers: bearer(session.access) })
    t.equal(me.statusCode, 401)
    t.equal(me.json().code, 'TOKEN_REVOKED')
    const refresh = await instance.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: session.refresh } })
    t.equal(refresh.json().code, 'TOKEN_REVOKED')
  }
  t.equal((await app.inject({ method: 'POST', url: '/api/token', payload: { email: user.email, password: user.password } })).statusCode, 401, 'the old password is gone')
  const fresh = await login(app, user.email, otherStrongPassword)
  const reused = await app.inject({ method: 'POST', url: '/api/change-password', headers: bearer(fresh.access), payload: { code, currentPassword: otherStrongPassword, newPassword: strongPassword } })
  t.equal(reused.statusCode, 400)
  t.equal(reused.json().code, 'TOKEN_INVALID', 'the code works once')
})

t.test('password change codes: wrong, replaced, five tries, expired', async (t) => {
  const app = await build(t, { env: mail.env })
  const user = await registerUser(app, mail, { email: 'dan@example.com' })
  const { access } = await login(app, user.email, user.password)
  const headers = bearer(access)
  const change = (code: string) => app.inject({ method: 'POST', url: '/api/change-password', headers, payload: { code, currentPassword: user.password, newPassword: otherStrongPassword } })
  const requestCode = async () => {
    const since = mail.stub.emails.length
    t.equal((await app.inject({ method: 'GET', url: '/api/change-password', headers })).statusCode, 202)
    return codeOf((await mail.next(user.email, /code/i, since)).text)
  }

  const none = await change('12345678')
  t.equal(none.statusCode, 400)
  t.equal(none.json().code, 'TOKEN_INVALID', 'no code asked for yet')

  const first = await requestCode()
  const second = await requestCode()
  const replaced = await change(first)
  t.equal(replaced.json().code, 'TOKEN_INVALID', 'a new code replaces the previous one')

  const wrong = second === '00000000' ? '11111111' : '00000000'
  for (let attempt = 2; attempt <= 5; attempt++) {
    const response = await change(wrong)
    t.equal(response.json().code, 'TOKEN_INVALID', `wrong try ${attempt}`)
  }
  const spent = await change(second)
  t.equal(spent.statusCode, 400)
  t.equal(spent.json().code, 'TOKEN_INVALID', 'five wrong tries spent the code, even for the right one')
  const [row] = await app.db.select().from(emailTokens).where(eq(emailTokens.purpose, 'change_password'))
  t.equal(row?.failedAttempts, 5)

  const third = await requestCode()
  const parallel = await Promise.all(Array.from({ length: 8 }, () => change(wrong)))
  t.ok(parallel.every((response) => response.json().code === 'TOKEN_INVALID'))
  t.equal((await change(third)).json().code, 'TOKEN_INVALID', 'parallel wrong tries cannot exceed five either')

  const fourth = await requestCode()
  await app.db.update(emailTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(emailTokens.purpose, 'change_password'))
  const expired = await change(fourth)
  t.equal(expired.statusCode, 400)
  t.equal(expired.json().code, 'TOKEN_EXPIRED')

  const [stored] = await app.db.select().from(users).where(eq(users.id, user.id))
  t.ok(await app.passwordHasher.verify(user.password, stored?.passwordHash ?? ''), 'the password never changed')
  t.equal((await app.inject({ method: 'GET', url: '/api/change-password' })).statusCode, 401)
})

t.test('password reset: 202 always, a single-use link, every token revoked, a notice sent', async (t) => {
  const app = await build(t, { env: { ...mail.env, AUTH_RATE_LIMIT_MAX: '100' } })
  const user = await registerUser(app, mail, { email: 'erin@example.com' })
  const pair = await login(app, user.email, user.password)

  const unknown = await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'ghost@example.com' } })
  let since = mail.stub.emails.length
  const known = await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'Erin@Example.com' } })
  t.equal(unknown.statusCode, 202)
  t.equal(known.statusCode, 202)
  t.same(unknown.json(), known.json(), 'no account enumeration')
  const first = firstLink((await mail.next(user.email, /reset/i, since)).text)
  t.equal(mail.stub.sentTo('ghost@example.com').length, 0)
  t.match(first, /^http:\/\/localhost:3000\/reset-password\?token=[A-Za-z0-9_-]{43}$/)

  since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: user.email } })
  const email = await mail.next(user.email, /reset/i, since)
  const link = firstLink(email.text)
  t.ok(email.html.includes(link.replaceAll('&', '&#38;')))
  const token = new URL(link).searchParams.get('token') ?? ''
  const [row] = await app.db.select().from(emailTokens).where(eq(emailTokens.purpose, 'password_reset'))
  const ttl = (row?.expiresAt.getTime() ?? 0) - Date.now()
  t.ok(ttl > 29.9 * 60e3 && ttl <= 30 * 60e3, 'valid for 30 minutes')

  const older = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token: new URL(first).searchParams.get('token'), newPassword: otherStrongPassword } })
  t.equal(older.json().code, 'TOKEN_INVALID', 'a newer link replaces the older one')
  const weak = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token, newPassword: 'erin@example.com' } })
  t.equal(weak.json().code, 'VALIDATION_FAILED', 'the policy applies (and the link is not spent)')
  const unknownToken = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token: 'nope', newPassword: otherStrongPassword } })
  t.equal(unknownToken.statusCode, 400)
  t.equal(unknownToken.json().code, 'TOKEN_INVALID')

  since = mail.stub.emails.length
  const confirmed = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token, newPassword: otherStrongPassword } })
  t.equal(confirmed.statusCode, 204)
  await mail.next(user.email, /password was changed/i, since)
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: bearer(pair.access) })).json().code, 'TOKEN_REVOKED')
  t.equal((await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: pair.refresh } })).json().code, 'TOKEN_REVOKED')
  await login(app, user.email, otherStrongPassword)

  const again = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token, newPassword: strongPassword } })
  t.equal(again.statusCode, 400)
  t.equal(again.json().code, 'TOKEN_INVALID', 'single use')

  since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: user.email } })
  const late = new URL(firstLink((await mail.next(user.email, /reset/i, since)).text)).searchParams.get('token')
  await app.db.update(emailTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(emailTokens.purpose, 'password_reset'))
  const expired = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token: late, newPassword: strongPassword } })
  t.equal(expired.statusCode, 400)
  t.equal(expired.json().code, 'TOKEN_EXPIRED')
  t.equal((await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: user.email, extra: true } })).statusCode, 400)
})

t.test('password reset links point at FRONTEND_URL when set; a reset verifies an unverified email', async (t) => {
  const app = await build(t, { env: { ...mail.env, FRONTEND_URL: 'https://app.example.com/' } })
  const since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'fresh@example.com', password: strongPassword } })
  await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: 'fresh@example.com' } })
  const link = firstLink((await mail.next('fresh@example.com', /reset/i, since)).text)
  t.match(link, /^https:\/\/app\.example\.com\/reset-password\?token=/)
  const confirmed = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', payload: { token: new URL(link).searchParams.get('token'), newPassword: otherStrongPassword } })
  t.equal(confirmed.statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'fresh@example.com', password: otherStrongPassword } })).statusCode, 200)
})
