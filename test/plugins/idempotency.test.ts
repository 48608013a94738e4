import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { authors, books, idempotencyKeys, reviews, users } from '../../src/db/schema/index.js'
import { build, createBook, createUser, isbn, strongPassword, type TestApp, type TestUser } from '../helpers/index.js'
import { bookCopies, countBorrows } from '../modules/borrows/fixtures.js'

const rows = async (app: TestApp, table: typeof users | typeof books | typeof reviews | typeof authors | typeof idempotencyKeys) =>
  Number((await app.db.select({ n: sql<number>`count(*)` }).from(table))[0]?.n ?? 0)

function poster (app: TestApp) {
  return (url: string, user: TestUser | undefined, key: string | undefined, payload?: object) => app.inject({
    method: 'POST',
    url,
    headers: { ...user?.headers, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    ...(payload === undefined ? {} : { payload })
  })
}

// One app for the file (building one migrates a database, which is slow on a busy machine); the
// first keyed borrow of the crash test loses its answer.
let crash = false
const app = await build(t, {
  env: { BORROW_RATE_LIMIT_PER_HOUR: '100' },
  routes: (app) => {
    // After the handler (its transaction committed), before anything is sent: the connection drops
    // and the answer is lost, as when a process dies at that moment.
    app.addHook('preSerialization', async (request, _reply, payload) => {
      if (crash && request.routeOptions.url === '/api/borrows') {
        crash = false
        request.raw.socket.destroy()
        throw new Error('crashed after the commit')
      }
      return payload
    })
  }
})
const post = poster(app)

t.test('a retry with the same key replays the first answer and changes nothing', async (t) => {
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 3 })

  await t.test('borrow', async (t) => {
    const key = randomUUID()
    const first = await post('/api/borrows', alice, key, { bookId: book.id })
    t.equal(first.statusCode, 201)
    t.notOk(first.headers['idempotent-replayed'], 'the first answer is no replay')
    const again = await post('/api/borrows', alice, key, { bookId: book.id })
    t.equal(again.statusCode, 201)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(again.body, first.body, 'the identical body')
    t.equal(again.headers['content-type'], first.headers['content-type'])
    t.equal(await countBorrows(app), 1, 'no second borrow')
    t.match(await bookCopies(app, book.id), { available: 2, open: 1 })

    const returned = await post(`/api/books/${book.id}/return`, alice, 'return-1')
    t.equal(returned.statusCode, 200)
    const returnedAgain = await post(`/api/books/${book.id}/return`, alice, 'return-1')
    t.equal(returnedAgain.statusCode, 200, 'a replayed return, not 404 for a borrow no longer open')
    t.equal(returnedAgain.body, returned.body)
    t.match(await bookCopies(app, book.id), { available: 3, open: 0 })
  })

  await t.test('review', async (t) => {
    const payload = { rating: 4, comment: 'Good' }
    const first = await post(`/api/books/${book.id}/reviews`, alice, 'review-1', payload)
    t.equal(first.statusCode, 201)
    const again = await post(`/api/books/${book.id}/reviews`, alice, 'review-1', { comment: 'Good', rating: 4 })
    t.equal(again.statusCode, 201, 'the same body in another key order is the same request')
    t.equal(again.body, first.body)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal(await rows(app, reviews), 1)
  })

  await t.test('register (anonymous: the key is the client IP\'s)', async (t) => {
    const payload = { email: 'new@example.com', password: strongPassword }
    const first = await post('/api/register', undefined, 'register-1', payload)
    t.equal(first.statusCode, 201)
    const again = await post('/api/register', undefined, 'register-1', payload)
    t.equal(again.statusCode, 201, 'not 409 EMAIL_TAKEN')
    t.equal(again.body, first.body)
    t.equal(await rows(app, users), 2)
  })

  await t.test('book', async (t) => {
    const payload = { title: 'Once', isbn: isbn(), publicationYear: 2001, author: 'Someone' }
    const first = await post('/api/books', alice, 'book-1', payload)
    t.equal(first.statusCode, 201)
    const again = await post('/api/books', alice, 'book-1', payload)
    t.equal(again.statusCode, 201, 'not 409 ISBN_TAKEN')
    t.equal(again.body, first.body)
    t.equal(await rows(app, books), 2)
  })

  await t.test('a 4xx is kept too: the same answer even once the state changed', async (t) => {
    const empty = await createBook(app, { ownerId: alice.id, copies: 0 })
    const first = await post(`/api/books/${empty.id}/borrow`, alice, 'no-copy')
    t.equal(first.statusCode, 409)
    await app.db.update(books).set({ totalCopies: 1, availableCopies: 1 }).where(sql`${books.id} = ${empty.id}`)
    const again = await post(`/api/books/${empty.id}/borrow`, alice, 'no-copy')
    t.equal(again.statusCode, 409)
    t.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.equal((await post(`/api/books/${empty.id}/borrow`, alice, 'other-key')).statusCode, 201, 'a new key is a new request')
  })

  await t.test('no key, no idempotency', async (t) => {
    const before = await rows(app, idempotencyKeys)
    const response = await post(`/api/books/${book.id}/borrow`, alice, undefined)
    t.equal(response.statusCode, 201)
    t.equal(await rows(app, idempotencyKeys), before)
  })
})

t.test('the same key for another request is 422; keys are per caller', async (t) => {
  const borrowsBefore = await countBorrows(app)
  const alice = await createUser(app)
  const bob = await createUser(app)
  const one = await createBook(app, { ownerId: alice.id, copies: 2 })
  const two = await createBook(app, { ownerId: alice.id, copies: 2 })

  t.equal((await post('/api/borrows', alice, 'k', { bookId: one.id })).statusCode, 201)
  const otherBody = await post('/api/borrows', alice, 'k', { bookId: two.id })
  t.equal(otherBody.statusCode, 422)
  t.match(otherBody.json(), { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' })
  t.match((await post(`/api/books/${one.id}/borrow`, alice, 'k')).json(), { code: 'IDEMPOTENCY_KEY_REUSED' }, 'another route')
  t.match((await post(`/api/books/${one.id}/return`, alice, 'K')).statusCode, 200, 'keys are case-sensitive')

  const bobs = await post('/api/borrows', bob, 'k', { bookId: two.id })
  t.equal(bobs.statusCode, 201, 'Bob\'s key k is his own')
  t.notOk(bobs.headers['idempotent-replayed'])
  t.equal(await countBorrows(app) - borrowsBefore, 2)
})

t.test('10 parallel requests with one key: one executes, the rest 409 or the replay', async (t) => {
  const borrowsBefore = await countBorrows(app)
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 10 })
  const answers = await Promise.all(Array.from({ length: 10 }, () => post('/api/borrows', alice, 'parallel', { bookId: book.id })))
  const fresh = answers.filter((a) => a.statusCode === 201 && a.headers['idempotent-replayed'] === undefined)
  const others = answers.filter((a) => !fresh.includes(a))
  t.equal(fresh.length, 1, 'one executed')
  for (const answer of others) {
    if (answer.statusCode === 409) t.equal(answer.json().code, 'IDEMPOTENCY_IN_PROGRESS')
    else t.same([answer.statusCode, answer.headers['idempotent-replayed'], answer.body], [201, 'true', fresh[0]?.body])
  }
  t.equal(await countBorrows(app) - borrowsBefore, 1)
  t.match(await bookCopies(app, book.id), { available: 9, open: 1 })
})

t.test('a 5xx leaves the key free for the retry', async (t) => {
  const authorsBefore = await rows(app, authors)
  const admin = await createUser(app, { role: 'admin' })
  // A real failure of the database: the table is gone for a moment.
  await app.db.execute(sql`rename table authors to authors_away`)
  const failed = await post('/api/authors', admin, 'author-1', { name: 'Octavia E. Butler' })
  t.equal(failed.statusCode, 500)
  await app.db.execute(sql`rename table authors_away to authors`)
  const retried = await post('/api/authors', admin, 'author-1', { name: 'Octavia E. Butler' })
  t.equal(retried.statusCode, 201)
  t.notOk(retried.headers['idempotent-replayed'], 'executed, not replayed')
  t.equal(await rows(app, authors) - authorsBefore, 1)
})

t.test('a crash between commit and answer: the retry replays, nothing doubled', async (t) => {
  const borrowsBefore = await countBorrows(app)
  crash = true
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 2 })
  const send = () => fetch(`http://127.0.0.1:${port}/api/borrows`, {
    method: 'POST',
    headers: { ...alice.headers, 'content-type': 'application/json', 'idempotency-key': 'lost-answer' },
    body: JSON.stringify({ bookId: book.id })
  })
  await t.rejects(send(), 'the first answer is lost')
  t.equal(await countBorrows(app) - borrowsBefore, 1, 'the borrow committed')
  const retry = await send()
  t.equal(retry.status, 201)
  t.equal(retry.headers.get('idempotent-replayed'), 'true')
  t.match(await retry.json(), { book: { id: book.id }, isReturned: false })
  t.equal(await countBorrows(app) - borrowsBefore, 1, 'still one borrow')
  t.match(await bookCopies(app, book.id), { available: 1, open: 1 })
})

t.test('an invalid Idempotency-Key is 400', async (t) => {
  const borrowsBefore = await countBorrows(app)
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 2 })
  for (const key of ['', 'with space', 'x'.repeat(256), 'naïve']) {
    const response = await post('/api/borrows', alice, key, { bookId: book.id })
    t.equal(response.statusCode, 400, JSON.stringify(key))
    t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/headers/idempotency-key' }] })
  }
  t.equal((await post('/api/borrows', alice, 'x'.repeat(255), { bookId: book.id })).statusCode, 201, '255 characters are fine')
  t.equal(await countBorrows(app) - borrowsBefore, 1)
})

t.test('expired keys are purged, by the housekeeping job too', async (t) => {
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 3 })
  t.equal((await post('/api/borrows', alice, 'old', { bookId: book.id })).statusCode, 201)
  t.equal((await post(`/api/books/${book.id}/return`, alice, 'recent')).statusCode, 200)
  t.equal(await app.idempotency.purgeExpired(), 0, 'nothing expired yet')
  t.ok(await app.idempotency.purgeExpired(new Date(Date.now() + 25 * 3600e3)) >= 2, 'the keys of a day ago go')
  t.equal(await rows(app, idempotencyKeys), 0)

  t.equal((await post('/api/borrows', alice, 'expired', { bookId: book.id })).statusCode, 201)
  await app.db.update(idempotencyKeys).set({ expiresAt: new Date(Date.now() - 1000) })
  await app.scheduler.runNow('purge')
  t.equal(await rows(app, idempotencyKeys), 0, 'the housekeeping job purged the expired key')
})

t.test('OpenAPI documents the header and the 409/422 answers on opted-in routes only', async (t) => {
  const { paths = {} } = app.swagger()
  const header = (path: string) => paths[path]?.post?.parameters?.some((p) => 'in' in p && p.in === 'header' && p.name === 'idempotency-key') ?? false
  for (const path of ['/api/register', '/api/books', '/api/authors', '/api/book/review', '/api/books/{id}/reviews', '/api/favorites/{bookId}', '/api/borrows', '/api/books/{id}/borrow', '/api/borrows/{id}/return', '/api/books/{id}/return', '/api/files']) {
    t.ok(header(path), `${path} takes Idempotency-Key`)
    t.ok(paths[path]?.post?.responses?.['422'], `${path} documents 422`)
  }
  for (const path of ['/api/token', '/api/login', '/api/token/refresh', '/api/logout']) t.notOk(header(path), `${path} does not`)
})
