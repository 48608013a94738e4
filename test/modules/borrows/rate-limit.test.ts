import t from 'tap'
import { build, createBook, createUser } from '../../helpers/index.js'
import { countBorrows } from './fixtures.js'

t.test('BORROW_RATE_LIMIT_PER_HOUR: per user, one bucket over both borrow paths, refusals counted', async (t) => {
  const app = await build(t, { env: { BORROW_RATE_LIMIT_PER_HOUR: '3' } })
  const alice = await createUser(app)
  const bob = await createUser(app)
  const first = await createBook(app, { ownerId: bob.id, copies: 5 })
  const second = await createBook(app, { ownerId: bob.id, copies: 5 })
  const empty = await createBook(app, { ownerId: bob.id, copies: 0 })

  const one = await app.inject({ method: 'POST', url: '/api/borrows', headers: alice.headers, payload: { bookId: first.id } })
  t.equal(one.statusCode, 201)
  t.match(one.headers, { 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2' })
  t.ok(Number(one.headers['x-ratelimit-reset']) > 3500, 'the window is an hour')

  const refused = await app.inject({ method: 'POST', url: `/api/books/${empty.id}/borrow`, headers: alice.headers })
  t.equal(refused.statusCode, 409, 'a refused borrow…')
  t.match(refused.headers, { 'x-ratelimit-remaining': '1' }, '…counts too, in the same bucket as the other path')

  // Returns do not count.
  for (let i = 0; i < 3; i++) {
    const response = await app.inject({ method: 'POST', url: `/api/books/${first.id}/return`, headers: alice.headers })
    t.ok([200, 404].includes(response.statusCode))
  }

  const three = await app.inject({ method: 'POST', url: `/api/books/${second.id}/borrow`, headers: alice.headers })
  t.equal(three.statusCode, 201)
  t.match(three.headers, { 'x-ratelimit-remaining': '0' })
  const borrowsBefore = await countBorrows(app)

  for (const request of [
    { method: 'POST' as const, url: '/api/borrows', payload: { bookId: first.id } },
    { method: 'POST' as const, url: `/api/books/${first.id}/borrow` }
  ]) {
    const limited = await app.inject({ ...request, headers: alice.headers })
    t.equal(limited.statusCode, 429, request.url)
    t.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(limited.json(), { status: 429, code: 'RATE_LIMITED' })
    t.match(limited.headers, { 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0' })
    t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 3600, 'Retry-After in seconds')
  }
  t.equal(await countBorrows(app), borrowsBefore, 'a limited request borrows nothing')

  const byBob = await app.inject({ method: 'POST', url: '/api/borrows', headers: bob.headers, payload: { bookId: first.id } })
  t.equal(byBob.statusCode, 201, 'another user is unaffected')
  t.match(byBob.headers, { 'x-ratelimit-remaining': '2' })

  const returning = await app.inject({ method: 'POST', url: `/api/books/${second.id}/return`, headers: alice.headers })
  t.equal(returning.statusCode, 200, 'returns still work while borrowing is limited')
  const history = await app.inject({ url: '/api/borrows', headers: alice.headers })
  t.equal(history.statusCode, 200)
})
