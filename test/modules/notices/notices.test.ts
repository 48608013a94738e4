import { count, eq } from 'drizzle-orm'
import t from 'tap'
import { emailOutbox, notices } from '../../../src/db/schema/index.js'
import { build, createBook, createTestDatabase, createUser, setupMail, waitUntil, type TestApp, type TestContext, type TestUser } from '../../helpers/index.js'

/** Two instances of the API on one fresh database, as two processes behind a load balancer would be. */
async function twoInstances (t: TestContext, env: Record<string, string>): Promise<[TestApp, TestApp]> {
  const databaseUrl = await createTestDatabase(t)
  return [await build(t, { env, databaseUrl }), await build(t, { env, databaseUrl })]
}

/** Both instances look for notices at the same moment. */
const runBoth = async ([a, b]: [TestApp, TestApp]) => {
  await Promise.all([a.scheduler.runNow('notices'), b.scheduler.runNow('notices')])
}

async function borrow (app: TestApp, user: TestUser, bookId: number): Promise<number> {
  const response = await app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId } })
  if (response.statusCode !== 201) throw new Error(`borrow: ${response.statusCode} ${response.body}`)
  return response.json<{ id: number }>().id
}

/** The outbox's emails of one kind, as `recipient subject` lines, sorted. */
async function outboxLines (app: TestApp, kind: string): Promise<string[]> {
  const rows = await app.db.select({ to: emailOutbox.recipient, subject: emailOutbox.subject }).from(emailOutbox).where(eq(emailOutbox.kind, kind))
  return rows.map((row) => `${row.to} ${row.subject}`).sort()
}

/** Every user borrows every book (through alternating instances); returns the `recipient subject` lines expected. */
async function borrowAll (apps: TestApp[], users: TestUser[], bookList: Array<{ id: number, title: string }>, subject: (title: string) => string) {
  const lines: string[] = []
  let turn = 0
  for (const user of users) {
    for (const book of bookList) {
      await borrow(apps[turn++ % apps.length] as TestApp, user, book.id)
      lines.push(`${user.email} ${subject(book.title)}`)
    }
  }
  return lines.sort()
}

t.test('LOAN_DAYS=0: two instances at once send each overdue borrow exactly one overdue email; returned ones none', async (t) => {
  const mail = await setupMail(t)
  const apps = await twoInstances(t, { ...mail.env, LOAN_DAYS: '0', MAIL_RATE_PER_SECOND: '50' })
  const [a, b] = apps
  const owner = await createUser(a)
  const readers = [await createUser(a), await createUser(a), await createUser(a)]
  const shelf = [await createBook(a, { ownerId: owner.id, copies: 5 }), await createBook(a, { ownerId: owner.id, copies: 5 })]
  const expected = await borrowAll(apps, readers, shelf, (title) => `Overdue: ${title}`)
  const returner = await createUser(a)
  const returned = await borrow(a, returner, shelf[0]?.id ?? 0)
  t.equal((await b.inject({ method: 'POST', url: `/api/borrows/${returned}/return`, headers: returner.headers })).statusCode, 200)

  await runBoth(apps)
  t.same(await outboxLines(a, 'overdue'), expected, 'one overdue email per open borrow, none for the returned one')
  t.same(await outboxLines(a, 'due_soon'), [], 'no due-soon email for a borrow already overdue')

  await mail.stub.waitForEmails(expected.length, 20_000)
  await Promise.all([a.mailer.idle(), b.mailer.idle()])
  const delivered = mail.stub.emails.filter((email) => email.subject.startsWith('Overdue: '))
  t.same(delivered.map((email) => `${email.to.join()} ${email.subject}`).sort(), expected, 'each delivered once, through both senders')
  t.match(delivered[0]?.text, /is now overdue/)
  t.equal(mail.stub.sentTo(returner.email).length, 0, 'the reader who returned the book hears nothing')

  await runBoth(apps)
  t.equal((await outboxLines(a, 'overdue')).length, expected.length, 'a second run sends nothing new')
})

t.test('LOAN_DAYS=1, DUE_SOON_DAYS=2: two instances at once send each borrow one due-soon email', async (t) => {
  const apps = await twoInstances(t, { LOAN_DAYS: '1', DUE_SOON_DAYS: '2' })
  const [a] = apps
  const owner = await createUser(a)
  const readers = [await createUser(a), await createUser(a)]
  const shelf = [await createBook(a, { ownerId: owner.id, copies: 3 }), await createBook(a, { ownerId: owner.id, copies: 3 })]
  const expected = await borrowAll(apps, readers, shelf, (title) => `Due soon: ${title}`)

  await runBoth(apps)
  t.same(await outboxLines(a, 'due_soon'), expected, 'one due-soon email per borrow due within two days')
  t.same(await outboxLines(a, 'overdue'), [], 'not overdue yet')
  await runBoth(apps)
  t.same(await outboxLines(a, 'due_soon'), expected, 'and no second one')
  t.equal(await noticeCount(a, 'due_soon'), expected.length, 'one notice row per borrow')
})

async function noticeCount (app: TestApp, kind: 'due_soon' | 'overdue'): Promise<number> {
  const [row] = await app.db.select({ n: count() }).from(notices).where(eq(notices.kind, kind))
  return row?.n ?? 0
}

t.test('the job runs on its own every NOTICE_INTERVAL_SECONDS', async (t) => {
  const app = await build(t, { env: { LOAN_DAYS: '0', NOTICE_INTERVAL_SECONDS: '1' } })
  const reader = await createUser(app)
  const book = await createBook(app, { ownerId: reader.id })
  await borrow(app, reader, book.id)
  await waitUntil(async () => (await outboxLines(app, 'overdue')).length > 0, { timeoutMs: 15_000 })
  t.same(await outboxLines(app, 'overdue'), [`${reader.email} Overdue: ${book.title}`], 'the overdue email, without runNow')
})
