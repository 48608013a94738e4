import t from 'tap'
import { build, createAuthor, createBook, createUser } from '../../helpers/index.js'
import { bookCopies, countBorrows } from './fixtures.js'

const problemType = 'application/problem+json; charset=utf-8'

t.test('POST /api/borrows takes a copy and answers the borrow', async (t) => {
  const app = await build(t, { env: { LOAN_DAYS: '7' } })
  const alice = await createUser(app)
  const author = await createAuthor(app, 'Ursula K. Le Guin')
  const book = await createBook(app, { ownerId: alice.id, copies: 3, authorId: author.id, title: 'The Dispossessed', genre: 'Science fiction' })

  const before = Date.now()
  const response = await app.inject({ method: 'POST', url: '/api/borrows', headers: alice.headers, payload: { bookId: book.id } })
  t.equal(response.statusCode, 201)
  const borrow = response.json()
  t.match(borrow, {
    id: Number,
    book: { id: book.id, title: 'The Dispossessed', genre: 'Science fiction', author: { id: author.id, name: 'Ursula K. Le Guin' } },
    returnedAt: null,
    isReturned: false,
    overdue: false
  })
  const borrowedAt = Date.parse(borrow.borrowedAt)
  t.ok(borrowedAt >= before - 5 && borrowedAt <= Date.now() + 5, 'borrowedAt is now')
  t.equal(Date.parse(borrow.dueAt) - borrowedAt, 7 * 86_400_000, 'due LOAN_DAYS later')
  t.match(response.headers, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '9' })
  t.same(await bookCopies(app, book.id), { total: 3, available: 2, borrowed: 1, setAside: 0, open: 1 })
})

t.test('POST /api/books/:id/borrow does the same, addressed by book', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 1 })
  const response = await app.inject({ method: 'POST', url: `/api/books/${book.id}/borrow`, headers: alice.headers })
  t.equal(response.statusCode, 201)
  t.match(response.json(), { book: { id: book.id }, isReturned: false })
  const dueIn = Date.parse(response.json().dueAt) - Date.parse(response.json().borrowedAt)
  t.equal(dueIn, 14 * 86_400_000, 'LOAN_DAYS defaults to 14')
  t.same(await bookCopies(app, book.id), { total: 1, available: 0, borrowed: 1, setAside: 0, open: 1 })
})

t.test('refusals leave the copies and borrows untouched', async (t) => {
  const app = await build(t, { env: { MAX_OPEN_BORROWS: '2', BORROW_RATE_LIMIT_PER_HOUR: '100' } })
  const alice = await createUser(app)
  const bob = await createUser(app)
  const single = await createBook(app, { ownerId: alice.id, copies: 1 })
  const deleted = await createBook(app, { ownerId: alice.id, copies: 2, deleted: true })
  const shelfless = await createBook(app, { ownerId: alice.id, copies: 0 })

  const borrow = (user: typeof alice, bookId: number) => app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId } })

  t.equal((await borrow(alice, single.id)).statusCode, 201)
  const borrowsBefore = await countBorrows(app)

  await t.test('no copy on the shelf → 409 NO_COPIES_AVAILABLE', async (t) => {
    const response = await borrow(bob, single.id)
    t.equal(response.statusCode, 409)
    t.equal(response.headers['content-type'], problemType)
    t.match(response.json(), { status: 409, code: 'NO_COPIES_AVAILABLE' })
    t.match((await borrow(bob, shelfless.id)).json(), { code: 'NO_COPIES_AVAILABLE' })
  })

  await t.test('the same book again → 409 ALREADY_BORROWED', async (t) => {
    const again = await borrow(alice, single.id)
    t.equal(again.statusCode, 409)
    t.match(again.json(), { code: 'ALREADY_BORROWED' })
    const byBook = await app.inject({ method: 'POST', url: `/api/books/${single.id}/borrow`, headers: alice.headers })
    t.match(byBook.json(), { status: 409, code: 'ALREADY_BORROWED' })
  })

  await t.test('a missing or soft-deleted book → 404', async (t) => {
    t.match((await borrow(bob, 999999)).json(), { status: 404, code: 'NOT_FOUND' })
    t.match((await borrow(bob, deleted.id)).json(), { status: 404, code: 'NOT_FOUND' })
    const byBook = await app.inject({ method: 'POST', url: `/api/books/${deleted.id}/borrow`, headers: bob.headers })
    t.equal(byBook.statusCode, 404)
  })

  await t.test('more than MAX_OPEN_BORROWS → 409 BORROW_LIMIT_REACHED', async (t) => {
    const second = await createBook(app, { ownerId: bob.id, copies: 5 })
    const third = await createBook(app, { ownerId: bob.id, copies: 5 })
    t.equal((await borrow(alice, second.id)).statusCode, 201)
    const count = await countBorrows(app)
    const refused = await borrow(alice, third.id)
    t.equal(refused.statusCode, 409)
    t.match(refused.json(), { code: 'BORROW_LIMIT_REACHED', detail: /2/ })
    t.equal(await countBorrows(app), count)
    t.same(await bookCopies(app, third.id), { total: 5, available: 5, borrowed: 0, setAside: 0, open: 0 })
    // Returning one frees a place.
    const history = (await app.inject({ url: '/api/borrows?status=open', headers: alice.headers })).json()
    const returned = await app.inject({ method: 'POST', url: `/api/borrows/${history.items[0].id}/return`, headers: alice.headers })
    t.equal(returned.statusCode, 200)
    t.equal((await borrow(alice, third.id)).statusCode, 201)
  })

  await t.test('authentication, verification and validation', async (t) => {
    const unverified = await createUser(app, { verified: false })
    t.match((await borrow(unverified, single.id)).json(), { status: 403, code: 'EMAIL_NOT_VERIFIED' })
    const anonymous = await app.inject({ method: 'POST', url: '/api/borrows', payload: { bookId: single.id } })
    t.match(anonymous.json(), { status: 401, code: 'UNAUTHENTICATED' })
    const extra = await app.inject({ method: 'POST', url: '/api/borrows', headers: bob.headers, payload: { bookId: single.id, userId: alice.id } })
    t.match(extra.json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ path: '/body/userId' }] })
    const missing = await app.inject({ method: 'POST', url: '/api/borrows', headers: bob.headers, payload: {} })
    t.equal(missing.statusCode, 400)
    const badId = await app.inject({ method: 'POST', url: '/api/books/abc/borrow', headers: bob.headers })
    t.equal(badId.statusCode, 400)
  })

  t.equal(await countBorrows(app), borrowsBefore + 2, 'only the two accepted borrows were added')
  t.same(await bookCopies(app, single.id), { total: 1, available: 0, borrowed: 1, setAside: 0, open: 1 })
  t.same(await bookCopies(app, deleted.id), { total: 2, available: 2, borrowed: 0, setAside: 0, open: 0 })
})
