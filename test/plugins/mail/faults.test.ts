import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { loggerOptions } from '../../../src/lib/logging.js'
import { build, createTestDatabase, createUser, startServerProcess } from '../../helpers/index.js'
import { acceptedPerKey, deliveriesPerAddress, outboxRowOf, password, register, resendAt } from './support.js'

t.test('a provider down for a while (dropped connections, then 500s): everything is sent once it recovers, nothing twice', async (t) => {
  const { stub, env } = await resendAt(t)
  const app = await build(t, { env: { ...env, MAIL_RETRY_BASE_MS: '100' } })
  stub.down('refuse')
  const downAt = Date.now()
  const addresses = Array.from({ length: 5 }, (_, i) => `outage-${i}@example.com`)
  for (const address of addresses) await register(app, address)
  await stub.waitForRequests(10, 20_000)
  stub.down(500)
  await stub.waitForRequests(20, 20_000)
  t.equal(stub.emails.length, 0, 'nothing delivered while the provider is down')
  const outageTries = stub.requests.length
  const upAt = Date.now()
  stub.up()
  await stub.waitForEmails(5, 30_000)
  t.comment(`down ${((upAt - downAt) / 1000).toFixed(1)} s; all sent ${((Date.now() - upAt) / 1000).toFixed(1)} s after the recovery`)
  await app.mailer.idle()
  t.comment(`${outageTries} tries during the outage, ${stub.requests.length - outageTries} after it`)
  const perAddress = deliveriesPerAddress(stub)
  t.same([...perAddress.keys()].sort(), addresses, 'every email went out after the recovery')
  t.ok([...perAddress.values()].every((count) => count === 1), 'each once')
  t.ok(acceptedPerKey(stub).every((count) => count === 1), 'each key accepted once')
  t.same(await app.mailer.backlog(), { pending: 0, sending: 0, sent: 5, failed: 0 })
})

t.test('an email the provider keeps refusing ends failed, logged at error level, and is not tried again', async (t) => {
  const { stub, env } = await resendAt(t)
  const lines: Array<{ level: number, msg: string, outbox?: { to: string } }> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as typeof lines[number])
      done()
    }
  })
  const app = await build(t, { env: { ...env, MAIL_RETRY_BASE_MS: '100', MAIL_GIVE_UP_SECONDS: '1' }, logger: pino(loggerOptions('info'), stream) })
  stub.down(500)
  await register(app, 'doomed@example.com')
  const row = await outboxRowOf(app, 'doomed@example.com', (row) => row.status === 'failed')
  t.equal(row?.status, 'failed')
  await app.mailer.idle()
  const tries = stub.requests.filter((request) => request.idempotencyKey === row?.idempotencyKey)
  t.ok(tries.length >= 2, `retried before giving up (${tries.length} tries)`)
  t.equal(row?.attempts, tries.length, 'every try is counted')
  t.match(row?.lastError, /^500 application_error/)
  t.ok(lines.some((line) => line.level === 50 && line.msg === 'email given up: marked failed' && line.outbox?.to === 'doomed@example.com'))
  t.same(await app.mailer.backlog(), { pending: 0, sending: 0, sent: 0, failed: 1 }, 'nothing left to try')
  const ready = await app.inject('/ready')
  t.same(ready.json().outbox, { pending: 0, sending: 0, sent: 0, failed: 1 }, '/ready shows it')
  const admin = await createUser(app, { role: 'admin' })
  const listed = await app.inject({ url: '/api/admin/emails?status=failed', headers: admin.headers })
  t.equal(listed.statusCode, 200)
  t.match(listed.json(), { total: 1, items: [{ recipient: 'doomed@example.com', kind: 'verify_email', status: 'failed', attempts: tries.length, lastError: /^500/ }] }, 'an admin lists the failed email')
  const user = await createUser(app)
  t.equal((await app.inject({ url: '/api/admin/emails', headers: user.headers })).statusCode, 403, 'others may not')
})

t.test('a process killed right after answering 201 sends the email once it runs again', async (t) => {
  const { stub, env } = await resendAt(t)
  const databaseUrl = await createTestDatabase(t)
  const serverEnv = { ...env, RESEND_BASE_URL: stub.url, MAIL_LEASE_SECONDS: '1', MAIL_RETRY_BASE_MS: '100' }
  stub.down(500)
  const first = await startServerProcess(t, databaseUrl, serverEnv)
  const response = await fetch(`http://127.0.0.1:${first.port}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'survivor@example.com', password })
  })
  first.child.kill('SIGKILL')
  t.equal(response.status, 201)
  await new Promise((resolve) => first.child.once('exit', resolve))
  t.equal(stub.emails.length, 0, 'nothing was delivered before the kill')
  stub.up()
  await startServerProcess(t, databaseUrl, serverEnv)
  const email = await stub.waitFor((email) => email.to.includes('survivor@example.com'), 30_000)
  t.match(email.subject, /confirm/i)
  t.equal(stub.sentTo('survivor@example.com').length, 1)
})
