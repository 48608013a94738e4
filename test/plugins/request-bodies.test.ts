import { count, eq } from 'drizzle-orm'
import t from 'tap'
import { borrows, favorites } from '../../src/db/schema/index.js'
import { build, createUser, postBook } from '../helpers/index.js'
import { testEnvOverrides } from '../modules/books/fixtures.js'

const json = { 'content-type': 'application/json' }

t.test('request bodies', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, bob] = await Promise.all([createUser(app), createUser(app)])
  const book = await postBook(app, bob)
  const rowsOf = async (table: typeof favorites | typeof borrows, userId: number) =>
    (await app.db.select({ n: count() }).from(table).where(eq(table.userId, userId)))[0]?.n

  t.test('a body-less route refuses properties it would ignore, and changes nothing', async (t) => {
    const favourite = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: alice.headers, payload: { note: 'x', userId: bob.id } })
    t.equal(favourite.statusCode, 400)
    t.same(favourite.json().errors, [
      { path: '/body/note', message: 'is not a known property' },
      { path: '/body/userId', message: 'is not a known property' }
    ])
    t.equal(await rowsOf(favorites, alice.id), 0)

    const borrow = await app.inject({ method: 'POST', url: `/api/books/${book.id}/borrow`, headers: alice.headers, payload: { dueDate: '2030-01-01' } })
    t.equal(borrow.statusCode, 400)
    t.match(borrow.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/body/dueDate' }] })
    t.equal(await rowsOf(borrows, alice.id), 0)

    for (const payload of ['[]', '"text"', '42']) {
      const response = await app.inject({ method: 'POST', url: `/api/books/${book.id}/borrow`, headers: { ...alice.headers, ...json }, payload })
      t.equal(response.statusCode, 400, payload)
      t.match(response.json(), { errors: [{ path: '/body', message: /must be empty/ }] })
    }
    t.equal(await rowsOf(borrows, alice.id), 0)
  })

  t.test('an empty object, or a JSON content type with no body at all, is no body', async (t) => {
    const withObject = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: alice.headers, payload: {} })
    t.equal(withObject.statusCode, 201)
    const removed = await app.inject({ method: 'DELETE', url: `/api/favorites/${book.id}`, headers: { ...alice.headers, ...json } })
    t.equal(removed.statusCode, 204)

    const borrowed = await app.inject({ method: 'POST', url: `/api/books/${book.id}/borrow`, headers: { ...alice.headers, ...json } })
    t.equal(borrowed.statusCode, 201)
    const returned = await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: { ...alice.headers, ...json }, payload: '' })
    t.equal(returned.statusCode, 200)

    const loggedOut = await app.inject({ method: 'POST', url: '/api/logout', headers: { ...bob.headers, ...json } })
    t.equal(loggedOut.statusCode, 204, 'an optional body may be left out under a JSON content type')
  })

  t.test('a route with a body schema still needs its body', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/token', headers: json })
    t.equal(response.statusCode, 400)
    t.match(response.json(), { code: 'VALIDATION_FAILED' })
  })

  t.test('text/plain is not a format of this API → 415', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/api/token', headers: { 'content-type': 'text/plain' }, payload: 'email=a@b.c' })
    t.equal(response.statusCode, 415)
    t.match(response.json(), { code: 'UNSUPPORTED_MEDIA_TYPE' })
  })
})
