import t from 'tap'
import { build, firstLink, login, otherStrongPassword, registerUser, setupMail } from '../../helpers/index.js'

const mail = await setupMail(t)
const form = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('without a frontend, the emailed reset link opens a page of the API that resets the password', async (t) => {
  const app = await build(t, { env: { ...mail.env, AUTH_RATE_LIMIT_MAX: '100' } })
  const user = await registerUser(app, mail, { email: 'pat@example.com' })
  const before = await login(app, user.email, user.password)
  const since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/password-reset', payload: { email: user.email } })
  const link = new URL(firstLink((await mail.next(user.email, /reset/i, since)).text))
  const token = link.searchParams.get('token') ?? ''

  const page = await app.inject({ url: `${link.pathname}${link.search}` })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.headers['content-security-policy'], /form-action 'self'/)
  t.match(page.body, /<form method="post" action="\/reset-password">/)
  t.ok(page.body.includes(`name="token" value="${token}"`), 'the form carries the token')

  const weak = await app.inject({ method: 'POST', url: '/reset-password', headers: form, payload: new URLSearchParams({ token, newPassword: 'short' }).toString() })
  t.equal(weak.statusCode, 400)
  t.match(weak.headers['content-type'], /^text\/html/)
  t.match(weak.body, /at least 8/, 'the policy speaks on the page')
  t.ok(weak.body.includes(`value="${token}"`), 'and the form is there to try again')

  const done = await app.inject({ method: 'POST', url: '/reset-password', headers: form, payload: new URLSearchParams({ token, newPassword: otherStrongPassword }).toString() })
  t.equal(done.statusCode, 200)
  t.match(done.body, /Password changed/)
  t.equal((await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${before.access}` } })).json().code, 'TOKEN_REVOKED', 'earlier sessions end')
  t.equal((await app.inject({ method: 'POST', url: '/api/token', payload: { email: user.email, password: otherStrongPassword } })).statusCode, 200)

  const again = await app.inject({ method: 'POST', url: '/reset-password', headers: form, payload: new URLSearchParams({ token, newPassword: 'yet another long passphrase' }).toString() })
  t.equal(again.statusCode, 400)
  t.match(again.body, /not valid/, 'a spent link says so, as a page')
  t.notMatch(again.body, /<form/)
})

t.test('the page without a token, with odd input, and the JSON API untouched', async (t) => {
  const app = await build(t, { env: mail.env })
  const bare = await app.inject({ url: '/reset-password' })
  t.equal(bare.statusCode, 400)
  t.match(bare.body, /whole link/)
  const hostile = await app.inject({ url: `/reset-password?token=${encodeURIComponent('"><script>alert(1)</script>')}` })
  t.notMatch(hostile.body, /<script>/, 'the token is escaped into the page')
  const extra = await app.inject({ method: 'POST', url: '/reset-password', headers: form, payload: 'token=x&newPassword=long+enough+pass&role=admin' })
  t.equal(extra.statusCode, 400)
  t.match(extra.headers['content-type'], /^text\/html/)
  const formToApi = await app.inject({ method: 'POST', url: '/api/password-reset/confirm', headers: form, payload: 'token=x&newPassword=y' })
  t.equal(formToApi.statusCode, 415, 'the JSON API still refuses form bodies')
})
