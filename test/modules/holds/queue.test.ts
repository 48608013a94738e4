import t from 'tap'
import { build, createBook, createUser } from '../../helpers/index.js'
import { borrow, placeHold, shelf } from './fixtures.js'

t.test('the holds queue', async (t) => {
  // Twenty placements queue on one book's row lock; on a busy shared machine the last can wait longer
  // than the default 3 s the fail-fast budget allows.
  const app = await build(t, { env: { DB_TIMEOUT_MS: '20000' } })
  const owner = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const book = await createBook(app, { ownerId: owner.id, copies: 1 })

  await t.test('a copy on the shelf → COPIES_AVAILABLE; unknown book → 404', async (t) => {
    const response = await placeHold(app, owner, book.id)
    t.equal(response.statusCode, 409)
    t.match(response.json(), { code: 'COPIES_AVAILABLE' })
    t.equal((await placeHold(app, owner, 999999)).statusCode, 404)
    const deleted = await createBook(app, { ownerId: owner.id, deleted: true })
    t.equal((await placeHold(app, owner, deleted.id)).statusCode, 404)
  })

  const borrower = await createUser(app)
  t.equal((await borrow(app, borrower, book.id)).statusCode, 201)

  await t.test('the borrower cannot hold it → ALREADY_BORROWED', async (t) => {
    t.match((await placeHold(app, borrower, book.id)).json(), { code: 'ALREADY_BORROWED' })
  })

  await t.test('twenty users at once → positions 1…20, each once', async (t) => {
    const users = await Promise.all(Array.from({ length: 20 }, () => createUser(app)))
    const responses = await Promise.all(users.map((user) => placeHold(app, user, book.id)))
    t.same(responses.map((r) => r.statusCode), responses.map(() => 201))
    t.ok(responses.every((r) => r.headers.location === `/api/holds/${r.json().id}`))
    const positions = await Promise.all(responses.map(async (r, i) => {
      const user = users[i]
      if (user === undefined) throw new Error('no user')
      return (await app.inject({ url: `/api/holds/${r.json().id}`, headers: user.headers })).json().position
    }))
    t.same([...positions].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1))
    t.match(await shelf(app, book.id), { holdCount: 20, waiting: 20 })
    const listed = await app.inject({ url: `/api/books/${book.id}` })
    t.equal(listed.json().holdCount, 20, 'Books show holdCount')

    const first = users[0]
    const firstHold = responses[0]?.json()
    if (first === undefined || firstHold === undefined) throw new Error('no first')
    t.equal((await app.inject({ url: `/api/holds/${firstHold.id}`, headers: owner.headers })).statusCode, 404, 'someone else\'s → 404')
    t.equal((await app.inject({ url: `/api/holds/${firstHold.id}`, headers: admin.headers })).statusCode, 200, 'an admin sees it')
    const cancelled = await app.inject({ method: 'DELETE', url: `/api/holds/${firstHold.id}`, headers: first.headers })
    t.equal(cancelled.statusCode, 204)
    t.match((await app.inject({ method: 'DELETE', url: `/api/holds/${firstHold.id}`, headers: first.headers })).json(), { code: 'HOLD_NOT_ACTIVE' })
    const mine = await app.inject({ url: '/api/holds', headers: first.headers })
    t.match(mine.json(), { total: 0, items: [] }, 'active by default')
    const all = await app.inject({ url: '/api/holds?status=all', headers: first.headers })
    t.match(all.json(), { total: 1, items: [{ id: firstHold.id, status: 'cancelled', position: null }] })
    t.ok(all.json().items[0].endedAt)
    const second = responses[1]?.json()
    const secondUser = users[1]
    if (second === undefined || secondUser === undefined) throw new Error('no second')
    t.match((await app.inject({ url: `/api/holds/${second.id}`, headers: secondUser.headers })).json(), { position: positions[1] - (positions[0] < positions[1] ? 1 : 0) }, 'a cancel moves those behind it up')

    const adminList = await app.inject({ url: `/api/admin/holds?bookId=${book.id}&status=waiting&pageSize=5`, headers: admin.headers })
    t.match(adminList.json(), { total: 19, pageSize: 5, totalPages: 4 })
    t.equal((await app.inject({ url: '/api/admin/holds', headers: owner.headers })).statusCode, 403)
  })

  await t.test('one user twice in parallel → one 201, one ALREADY_ON_HOLD', async (t) => {
    const user = await createUser(app)
    const responses = await Promise.all([placeHold(app, user, book.id), placeHold(app, user, book.id)])
    t.same(responses.map((r) => r.statusCode).sort(), [201, 409])
    t.match(responses.find((r) => r.statusCode === 409)?.json(), { code: 'ALREADY_ON_HOLD' })
  })

  await t.test('at most MAX_ACTIVE_HOLDS active holds → HOLD_LIMIT_REACHED', async (t) => {
    const user = await createUser(app)
    for (let i = 0; i < 5; i++) {
      const other = await createBook(app, { ownerId: owner.id, copies: 0 })
      t.equal((await placeHold(app, user, other.id)).statusCode, 201)
    }
    const sixth = await createBook(app, { ownerId: owner.id, copies: 0 })
    t.match((await placeHold(app, user, sixth.id)).json(), { code: 'HOLD_LIMIT_REACHED' })
  })
})
