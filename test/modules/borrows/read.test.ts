import t from 'tap'
import { build, createBook, createUser } from '../../helpers/index.js'

t.test('a new borrow says where it lives, and only its borrower or an admin can read it there', async (t) => {
  const app = await build(t)
  const [alice, bob, admin] = await Promise.all([createUser(app), createUser(app), createUser(app, { role: 'admin' })])
  const [first, second] = await Promise.all([createBook(app, { ownerId: bob.id }), createBook(app, { ownerId: bob.id })])

  const byBody = await app.inject({ method: 'POST', url: '/api/borrows', headers: alice.headers, payload: { bookId: first.id } })
  const byBook = await app.inject({ method: 'POST', url: `/api/books/${second.id}/borrow`, headers: alice.headers })
  for (const created of [byBody, byBook]) {
    t.equal(created.statusCode, 201)
    const location = created.headers.location
    t.equal(location, `/api/borrows/${created.json().id}`)

    const own = await app.inject({ method: 'GET', url: String(location), headers: alice.headers })
    t.equal(own.statusCode, 200)
    t.same(own.json(), created.json(), 'the borrower reads back what the 201 showed')
    const asAdmin = await app.inject({ method: 'GET', url: String(location), headers: admin.headers })
    t.same(asAdmin.json(), created.json(), 'an admin reads any borrow')

    const asBob = await app.inject({ method: 'GET', url: String(location), headers: bob.headers })
    t.equal(asBob.statusCode, 404, 'someone else’s borrow is not found')
    t.equal(asBob.json().code, 'NOT_FOUND')
  }
  const missing = await app.inject({ method: 'GET', url: '/api/borrows/999999', headers: alice.headers })
  t.equal(missing.statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/api/borrows/1' })).statusCode, 401)
})
