import { eq } from 'drizzle-orm'
import t from 'tap'
import { borrows } from '../../../src/db/schema/index.js'
import { build, createBook, createUser } from '../../helpers/index.js'
import { bookCopies } from './fixtures.js'

t.test('returning a borrow', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const bob = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const book = await createBook(app, { ownerId: bob.id, copies: 2 })
  const borrow = async (user: typeof alice) => {
    const response = await app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId: book.id } })
    t.equal(response.statusCode, 201)
    return response.json()
  }

  await t.test('by its borrower → 200 and the copy is back', async (t) => {
    const { id } = await borrow(alice)
    t.same(await bookCopies(app, book.id), { total: 2, available: 1, borrowed: 1, setAside: 0, open: 1 })
    const response = await app.inject({ method: 'POST', url: `/api/borrows/${id}/return`, headers: alice.headers })
    t.equal(response.statusCode, 200)
    const body = response.json()
    t.match(body, { id, book: { id: book.id }, isReturned: true, overdue: false })
    t.ok(Date.parse(body.returnedAt) >= Date.parse(body.borrowedAt))
    t.same(await bookCopies(app, book.id), { total: 2, available: 2, borrowed: 0, setAside: 0, open: 0 })

    const again = await app.inject({ method: 'POST', url: `/api/borrows/${id}/return`, headers: alice.headers })
    t.equal(again.statusCode, 409)
    t.match(again.json(), { code: 'ALREADY_RETURNED' })
    t.same(await bookCopies(app, book.id), { total: 2, available: 2, borrowed: 0, setAside: 0, open: 0 })
  })

  await t.test('someone else\'s borrow → 404, no existence leak; an admin may return it', async (t) => {
    const { id } = await borrow(alice)
    const byBob = await app.inject({ method: 'POST', url: `/api/borrows/${id}/return`, headers: bob.headers })
    t.equal(byBob.statusCode, 404)
    const unknown = await app.inject({ method: 'POST', url: '/api/borrows/999999/return', headers: bob.headers })
    t.same(byBob.json(), { ...unknown.json() }, 'the same answer as for a borrow that does not exist')
    t.same(await bookCopies(app, book.id), { total: 2, available: 1, borrowed: 1, setAside: 0, open: 1 })
    const byAdmin = await app.inject({ method: 'POST', url: `/api/borrows/${id}/return`, headers: admin.headers })
    t.equal(byAdmin.statusCode, 200)
    t.equal(byAdmin.json().isReturned, true)
  })

  await t.test('by book: the caller\'s open borrow of it', async (t) => {
    const none = await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: alice.headers })
    t.equal(none.statusCode, 404)
    const mine = await borrow(alice)
    await borrow(bob)
    const response = await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: alice.headers })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { id: mine.id, isReturned: true })
    t.equal((await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: alice.headers })).statusCode, 404)
    t.same(await bookCopies(app, book.id), { total: 2, available: 1, borrowed: 1, setAside: 0, open: 1 }, 'bob still has his')
    const unverified = await createUser(app, { verified: false })
    t.match((await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: unverified.headers })).json(), { code: 'EMAIL_NOT_VERIFIED' })
    await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: bob.headers })
  })

  await t.test('a double-clicked return succeeds once', async (t) => {
    const { id } = await borrow(alice)
    const responses = await Promise.all(Array.from({ length: 6 }, () =>
      app.inject({ method: 'POST', url: `/api/borrows/${id}/return`, headers: alice.headers })))
    t.same(responses.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409, 409])
    t.same(await bookCopies(app, book.id), { total: 2, available: 2, borrowed: 0, setAside: 0, open: 0 })
  })

  await t.test('overdue: not returned and past due; a soft-deleted book still shows', async (t) => {
    const { id } = await borrow(alice)
    const past = new Date(Date.now() - 20 * 86_400_000)
    await app.db.update(borrows).set({ borrowedAt: past, dueAt: new Date(past.getTime() + 14 * 86_400_000) }).where(eq(borrows.id, id))
    const history = await app.inject({ url: '/api/borrows?status=overdue', headers: alice.headers })
    t.match(history.json(), { total: 1, items: [{ id, overdue: true, isReturned: false }] })
    const returned = await app.inject({ method: 'POST', url: `/api/borrows/${id}/return`, headers: alice.headers })
    t.match(returned.json(), { id, overdue: false, isReturned: true })
  })
})
