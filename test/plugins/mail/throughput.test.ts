import t from 'tap'
import { build } from '../../helpers/index.js'
import { acceptedPerKey, deliveriesPerAddress, register, resendAt } from './support.js'

t.test('a burst of 100 registrations against a provider allowing 5 a second: 100 emails, each delivered once, within a minute', async (t) => {
  const { stub, env } = await resendAt(t, { ratePerSecond: 5 })
  const app = await build(t, { env })
  const addresses = Array.from({ length: 100 }, (_, i) => `burst-${i}@example.com`)
  const start = Date.now()
  await Promise.all(addresses.map(async (address) => { await register(app, address) }))
  const answered = Date.now()
  await stub.waitForEmails(100, 60_000 - (answered - start))
  const seconds = (Date.now() - start) / 1000
  t.comment(`100 registrations answered in ${((answered - start) / 1000).toFixed(1)} s; 100 emails delivered ${seconds.toFixed(1)} s after the burst began; ${stub.requests.filter((r) => r.answer === 429).length} answers 429`)
  const perAddress = deliveriesPerAddress(stub)
  t.same([...perAddress.keys()].sort(), [...addresses].sort(), 'every user got a verification email')
  t.ok([...perAddress.values()].every((count) => count === 1), 'each exactly once')
  t.ok(stub.emails.every((email) => /confirm/i.test(email.subject)))
  await app.mailer.idle()
  t.same(await app.mailer.backlog(), { pending: 0, sending: 0, sent: 100, failed: 0 })
})

t.test('two instances on one database send each email once, and share a provider limit they exceed together', async (t) => {
  const { stub, env } = await resendAt(t, { ratePerSecond: 5 })
  const first = await build(t, { env })
  const second = await build(t, { env, databaseUrl: first.config.DATABASE_URL })
  const addresses = Array.from({ length: 30 }, (_, i) => `pair-${i}@example.com`)
  // Written at once (no password hashing in the way), so both senders race for the same due rows.
  const start = Date.now()
  await Promise.all([first, second].map(async (app, half) => {
    await app.mailer.transaction(async (_tx, queue) => {
      for (const address of addresses.slice(half * 15, half * 15 + 15)) await queue(address, { kind: 'test', subject: 'Hello', text: 'Hello', html: '<p>Hello</p>' })
    })
  }))
  await stub.waitForEmails(30, 60_000)
  await Promise.all([first.mailer.idle(), second.mailer.idle()])
  const perAddress = deliveriesPerAddress(stub)
  t.equal(perAddress.size, 30)
  t.ok([...perAddress.values()].every((count) => count === 1), 'each address got one email')
  t.ok(acceptedPerKey(stub).every((count) => count === 1), 'no row was sent by both instances (each key accepted once)')
  const refused = stub.requests.filter((r) => r.answer === 429).length
  t.comment(`${refused} answers 429 at 2 × 4 a second against 5; 30 emails delivered in ${((Date.now() - start) / 1000).toFixed(1)} s`)
  t.same(await first.mailer.backlog(), { pending: 0, sending: 0, sent: 30, failed: 0 })
})
