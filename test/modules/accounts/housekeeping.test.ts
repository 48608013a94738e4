import { randomUUID } from 'node:crypto'
import t from 'tap'
import { emailOutbox, emailTokens, refreshTokens, revokedAccessTokens } from '../../../src/db/schema/index.js'
import { purgeExpired } from '../../../src/modules/accounts/repository.js'
import { build, createUser } from '../../helpers/index.js'

const hour = 3600e3

t.test('expired denylist entries, refresh tokens and old email tokens are purged', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  const past = new Date(Date.now() - hour)
  const future = new Date(Date.now() + hour)
  const family = randomUUID()
  await app.db.insert(revokedAccessTokens).values([
    { jti: randomUUID(), userId: user.id, expiresAt: past },
    { jti: randomUUID(), userId: user.id, expiresAt: future }
  ])
  await app.db.insert(refreshTokens).values([
    { jti: randomUUID(), familyId: family, userId: user.id, expiresAt: past },
    { jti: randomUUID(), familyId: family, userId: user.id, expiresAt: future }
  ])
  await app.db.insert(emailTokens).values([
    { userId: user.id, purpose: 'verify_email', tokenHash: 'a'.repeat(64), expiresAt: new Date(Date.now() - 8 * 24 * hour) },
    { userId: user.id, purpose: 'password_reset', tokenHash: 'b'.repeat(64), expiresAt: past },
    { userId: user.id, purpose: 'change_password', tokenHash: 'c'.repeat(64), expiresAt: future }
  ])

  // The hourly job, run now rather than waited for.
  await app.scheduler.runNow('purge')
  t.equal((await app.db.select().from(revokedAccessTokens)).length, 1)
  t.same((await app.db.select().from(refreshTokens)).map((row) => row.expiresAt > new Date()), [true])
  t.same((await app.db.select({ hash: emailTokens.tokenHash }).from(emailTokens)).map((row) => row.hash[0]).sort(), ['b', 'c'],
    'an email token is kept for a week after expiry, so its link says TOKEN_EXPIRED rather than TOKEN_INVALID')

  t.same(await purgeExpired(app.db), { revokedAccessTokens: 0, refreshTokens: 0, emailTokens: 0 }, 'idempotent')
  t.same(await purgeExpired(app.db, new Date(Date.now() + 8 * 24 * hour)), { revokedAccessTokens: 1, refreshTokens: 1, emailTokens: 2 })
})

t.test('emails sent more than a week ago are purged; unsent and failed ones stay', async (t) => {
  const app = await build(t)
  const day = 24 * hour
  const row = (status: 'sent' | 'pending' | 'failed', sentDaysAgo?: number) => ({
    idempotencyKey: randomUUID(),
    kind: 'test',
    recipient: 'someone@example.com',
    subject: 'Hello',
    text: 'Hello',
    html: '<p>Hello</p>',
    status,
    nextAttemptAt: new Date(Date.now() + day),
    sentAt: sentDaysAgo === undefined ? null : new Date(Date.now() - sentDaysAgo * day)
  })
  await app.db.insert(emailOutbox).values([row('sent', 8), row('sent', 1), row('pending'), row('failed')])
  t.equal(await app.mailer.purgeSent(), 1)
  t.same((await app.db.select({ status: emailOutbox.status }).from(emailOutbox)).map((r) => r.status).sort(), ['failed', 'pending', 'sent'])
  t.equal(await app.mailer.purgeSent(new Date(Date.now() + 7 * day)), 1, 'the recent one goes once it is a week old')
})
