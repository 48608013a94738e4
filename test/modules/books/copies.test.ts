import { and, eq, gt, sql } from 'drizzle-orm'
import t from 'tap'
import { books } from '../../../src/db/schema/index.js'
import { build, createUser, postBook } from '../../helpers/index.js'
import { copiesOf, lendCopies, testEnvOverrides } from './fixtures.js'

t.test('copy accounting on updates', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, admin] = await Promise.all([createUser(app), createUser(app, { role: 'admin' })])
  const book = await postBook(app, alice, { totalCopies: 5 })
  await lendCopies(app, book.id, 2)
  t.same(await copiesOf(app, book.id), { totalCopies: 5, availableCopies: 3, borrowedCopies: 2, setAsideCopies: 0 })
  const patch = (user: typeof alice, payload: Record<string, unknown>) =>
    app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: user.headers, payload })

  t.test('totalCopies may not go below the copies on loan', async (t) => {
    const response = await patch(alice, { totalCopies: 1 })
    t.equal(response.statusCode, 409)
    t.equal(response.json().code, 'COPIES_BELOW_BORROWED')
    t.same(await copiesOf(app, book.id), { totalCopies: 5, availableCopies: 3, borrowedCopies: 2, setAsideCopies: 0 })
  })

  t.test('availableCopies moves with totalCopies', async (t) => {
    let response = await patch(alice, { totalCopies: 7 })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { totalCopies: 7, availableCopies: 5 })
    response = await patch(alice, { totalCopies: 2 })
    t.match(response.json(), { totalCopies: 2, availableCopies: 0 })
    t.same(await copiesOf(app, book.id), { totalCopies: 2, availableCopies: 0, borrowedCopies: 2, setAsideCopies: 0 })
    response = await patch(alice, { totalCopies: 5 })
    t.same(await copiesOf(app, book.id), { totalCopies: 5, availableCopies: 3, borrowedCopies: 2, setAsideCopies: 0 })
  })

  t.test('only an admin sets availableCopies, within 0 … total − borrowed', async (t) => {
    const byOwner = await patch(alice, { availableCopies: 1 })
    t.equal(byOwner.statusCode, 403)
    t.equal(byOwner.json().code, 'FORBIDDEN')

    let response = await patch(admin, { availableCopies: 1 })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { totalCopies: 5, availableCopies: 1 })
    t.same(await copiesOf(app, book.id), { totalCopies: 5, availableCopies: 1, borrowedCopies: 2, setAsideCopies: 2 })

    response = await patch(admin, { availableCopies: 4 })
    t.equal(response.statusCode, 409)
    t.equal(response.json().code, 'COPIES_OUT_OF_RANGE')
    response = await patch(admin, { totalCopies: 6, availableCopies: 5 })
    t.equal(response.statusCode, 409, 'total − borrowed is 4 with the new total')
    t.equal(response.json().code, 'COPIES_OUT_OF_RANGE')
    response = await patch(admin, { availableCopies: -1 })
    t.equal(response.statusCode, 409, 'below 0')
    t.equal(response.json().code, 'COPIES_OUT_OF_RANGE')
    response = await patch(admin, { availableCopies: 1.5 })
    t.equal(response.statusCode, 400, 'not an integer')
    t.same(await copiesOf(app, book.id), { totalCopies: 5, availableCopies: 1, borrowedCopies: 2, setAsideCopies: 2 }, 'unchanged')

    response = await patch(admin, { totalCopies: 6, availableCopies: 4 })
    t.equal(response.statusCode, 200)
    t.same(await copiesOf(app, book.id), { totalCopies: 6, availableCopies: 4, borrowedCopies: 2, setAsideCopies: 0 })
    response = await patch(admin, { availableCopies: 0 })
    t.same(await copiesOf(app, book.id), { totalCopies: 6, availableCopies: 0, borrowedCopies: 2, setAsideCopies: 4 })
  })

  t.test('lowering totalCopies past the shelf takes copies off the set-aside ones', async (t) => {
    await patch(admin, { availableCopies: 1 }) // 6 = 1 + 2 borrowed + 3 set aside
    let response = await patch(alice, { totalCopies: 4 })
    t.equal(response.statusCode, 200)
    t.same(await copiesOf(app, book.id), { totalCopies: 4, availableCopies: 0, borrowedCopies: 2, setAsideCopies: 2 })
    response = await patch(alice, { totalCopies: 2 })
    t.same(await copiesOf(app, book.id), { totalCopies: 2, availableCopies: 0, borrowedCopies: 2, setAsideCopies: 0 })
    response = await patch(alice, { totalCopies: 3 })
    t.same(await copiesOf(app, book.id), { totalCopies: 3, availableCopies: 1, borrowedCopies: 2, setAsideCopies: 0 }, 'new copies go on the shelf')
  })

  t.test('PUT by an admin sets availableCopies too', async (t) => {
    const response = await app.inject({ method: 'PUT', url: `/api/books/${book.id}`, headers: admin.headers, payload: { title: 'T', isbn: book.isbn, publicationYear: 2000, authorId: book.author.id, totalCopies: 10, availableCopies: 8 } })
    t.equal(response.statusCode, 200)
    t.same(await copiesOf(app, book.id), { totalCopies: 10, availableCopies: 8, borrowedCopies: 2, setAsideCopies: 0 })
  })
})

t.test('soft delete and restore', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, bob, admin] = await Promise.all([createUser(app), createUser(app), createUser(app, { role: 'admin' })])
  const book = await postBook(app, alice, { isbn: '9780306406157', genre: 'Gone' })
  await lendCopies(app, book.id, 1)

  const refused = await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: alice.headers })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().code, 'BOOK_HAS_ACTIVE_BORROWS')
  t.equal((await app.inject({ url: `/api/books/${book.id}` })).statusCode, 200, 'still there')

  await app.db.update(books).set({ availableCopies: 1, borrowedCopies: 0 }).where(eq(books.id, book.id))
  const byBob = await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: bob.headers })
  t.equal(byBob.statusCode, 403)
  const deleted = await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: alice.headers })
  t.equal(deleted.statusCode, 204)
  t.equal(deleted.body, '')

  t.equal((await app.inject({ url: `/api/books/${book.id}` })).statusCode, 404, 'lookup 404')
  t.equal((await app.inject({ url: '/api/books' })).json().total, 0, 'gone from the list')
  t.equal((await app.inject({ url: '/api/me/books', headers: alice.headers })).json().total, 0, 'gone from my books')
  t.same((await app.inject({ url: '/api/books/available-by-genre' })).json(), [], 'gone from the shelves')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: alice.headers })).statusCode, 404, 'deleting again: 404')
  t.equal((await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: admin.headers, payload: { title: 'x' } })).statusCode, 404, 'patch: 404')
  const [row] = await app.db.select({ deletedAt: books.deletedAt }).from(books).where(eq(books.id, book.id))
  t.ok(row?.deletedAt instanceof Date, 'the row is kept')

  t.test('restore is admin-only', async (t) => {
    const response = await app.inject({ method: 'POST', url: `/api/admin/books/${book.id}/restore`, headers: alice.headers })
    t.equal(response.statusCode, 403)
    t.equal(response.json().code, 'FORBIDDEN')
    t.equal((await app.inject({ method: 'POST', url: '/api/admin/books/99999/restore', headers: admin.headers })).statusCode, 404)
  })

  t.test('a deleted book frees its ISBN; restoring it then is refused with ISBN_TAKEN', async (t) => {
    const reuse = await postBook(app, bob, { isbn: '0-306-40615-2' })
    t.equal(reuse.isbn, book.isbn)
    const response = await app.inject({ method: 'POST', url: `/api/admin/books/${book.id}/restore`, headers: admin.headers })
    t.equal(response.statusCode, 409)
    t.equal(response.json().code, 'ISBN_TAKEN')
    t.equal((await app.inject({ url: `/api/books/${book.id}` })).statusCode, 404, 'still deleted')

    t.equal((await app.inject({ method: 'DELETE', url: `/api/books/${reuse.id}`, headers: bob.headers })).statusCode, 204)
    const restored = await app.inject({ method: 'POST', url: `/api/admin/books/${book.id}/restore`, headers: admin.headers })
    t.equal(restored.statusCode, 200)
    t.match(restored.json(), { id: book.id, isbn: book.isbn, ownerId: alice.id })
    t.equal((await app.inject({ url: `/api/books/${book.id}` })).statusCode, 200, 'visible again')
    const again = await app.inject({ method: 'POST', url: `/api/admin/books/${book.id}/restore`, headers: admin.headers })
    t.equal(again.statusCode, 200, 'restoring an active book is a no-op')
  })
})

t.test('copy changes racing with loans keep the accounting exact', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, admin] = await Promise.all([createUser(app), createUser(app, { role: 'admin' })])
  const book = await postBook(app, alice, { totalCopies: 10 })
  // What a borrow does: one conditional, relative UPDATE.
  const borrowOne = async () => {
    const [result] = await app.db.update(books).set({
      availableCopies: sql`${books.availableCopies} - 1`,
      borrowedCopies: sql`${books.borrowedCopies} + 1`
    }).where(and(eq(books.id, book.id), gt(books.availableCopies, 0)))
    return result.affectedRows
  }
  const patches = Array.from({ length: 12 }, (_, index) => index % 3 === 2
    ? app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: admin.headers, payload: { availableCopies: index % 4 } })
    : app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: alice.headers, payload: { totalCopies: 6 + index } }))
  const [patchResponses, borrowed] = await Promise.all([Promise.all(patches), Promise.all(Array.from({ length: 15 }, borrowOne))])
  for (const response of patchResponses) {
    t.ok([200, 409].includes(response.statusCode), `PATCH answered ${response.statusCode}`)
    if (response.statusCode === 409) t.ok(['COPIES_BELOW_BORROWED', 'COPIES_OUT_OF_RANGE'].includes(response.json().code))
  }
  const copies = await copiesOf(app, book.id)
  t.equal(copies.borrowedCopies, borrowed.reduce((sum, n) => sum + n, 0), 'every successful loan is counted')
  t.equal(copies.availableCopies + copies.borrowedCopies + copies.setAsideCopies, copies.totalCopies, 'the balance holds')
})
