import { sql } from 'drizzle-orm'
import t from 'tap'
import { build, createAuthor, createBook, createBorrow, createFile, createUser, firstLink, registerUser, setupMail, tokenOf, type TestApp } from '../helpers/index.js'

const mail = await setupMail(t)

/** A checksum of every table: any row written, changed or deleted changes it. */
async function checksums (app: TestApp): Promise<Record<string, unknown>> {
  const [tables] = await app.pool.query('SHOW TABLES') as unknown as [Array<Record<string, string>>]
  const names = tables.map((row) => Object.values(row)[0] ?? '')
  const [rows] = await app.pool.query(`CHECKSUM TABLE ${names.map((name) => `\`${name}\``).join(', ')}`) as unknown as [Array<{ Table: string, Checksum: unknown }>]
  return Object.fromEntries(rows.map((row) => [row.Table, row.Checksum]))
}

t.test('HEAD on every GET route changes nothing and sends no mail', async (t) => {
  const app = await build(t, { env: mail.env })
  const admin = await createUser(app, { role: 'admin' })
  const author = await createAuthor(app)
  const book = await createBook(app, { ownerId: admin.id, authorId: author.id, copies: 3 })
  const borrow = await createBorrow(app, { userId: admin.id, bookId: book.id, borrowedAt: new Date() })
  const { file } = await createFile(app, admin, { bookId: book.id })
  await app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: admin.headers, payload: { rating: 4 } })
  await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: admin.headers })
  // An unverified account with a live link: HEAD on the link must not verify it.
  const since = mail.stub.emails.length
  await app.inject({ method: 'POST', url: '/api/register', payload: { email: 'head@example.com', password: 'Tangerine-Kayak-Lantern-42' } })
  const token = tokenOf(firstLink((await mail.next('head@example.com', /confirm/i, since)).text))
  await registerUser(app, mail, { email: 'other-head@example.com' })
  await app.mailer.idle()

  const ids: Record<string, string> = { id: String(book.id), bookId: String(book.id), authorId: String(author.id), token, fileId: String(file.id) }
  const paths = Object.entries(app.swagger().paths ?? {})
    .filter(([, item]) => item?.get !== undefined)
    .map(([path]) => path.replace(/\{(\w+)\}/g, (_match, name: string) => ids[name] ?? String(borrow)))
  t.ok(paths.length > 20, `${paths.length} GET routes`)
  paths.push('/reset-password?token=x')

  const before = await checksums(app)
  const emailsBefore = mail.stub.emails.length
  for (const url of paths) {
    const response = await app.inject({ method: 'HEAD', url, headers: admin.headers })
    t.equal(response.body, '', `HEAD ${url} (${response.statusCode}) has no body`)
  }
  await app.mailer.idle()
  t.same(await checksums(app), before, 'no table changed')
  t.equal(mail.stub.emails.length, emailsBefore, 'no mail left')
  const [pending] = await app.db.execute(sql`select count(*) as n from email_outbox where status <> 'sent'`) as unknown as [Array<{ n: number }>]
  t.equal(Number(pending[0]?.n), 0, 'nothing queued')

  const head = async (url: string, headers = {}) => (await app.inject({ method: 'HEAD', url, headers })).statusCode
  t.equal(await head('/api/change-password', admin.headers), 202, 'the GETs that change state answer as they would, having done nothing (checked above)')
  t.equal(await head('/api/change-password'), 401)
  t.equal(await head(`/api/verify-email/${token}`), 200)
  t.equal(await head(`/api/verify-email/${token}`, { accept: 'text/html' }), 200)
  t.equal(await head('/api/verify-email/not-a-real-token-at-all-0000000000'), 400)
  t.equal((await app.inject({ method: 'HEAD', url: `/api/books/${book.id}`, headers: admin.headers })).statusCode, 200, 'the others answer HEAD like GET')
})
