import t from 'tap'
import { build, createBook, createUser, type TestUser } from '../../helpers/index.js'
import { borrow, emailsTo, placeHold, shelf } from './fixtures.js'

const day = 86_400_000

t.test('the hold shelf', async (t) => {
  const app = await build(t)
  const owner = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const holdOf = async (user: TestUser, id: number) => (await app.inject({ url: `/api/holds/${id}`, headers: user.headers })).json()
  const queueOn = async (bookId: number, count: number) => {
    const users = await Promise.all(Array.from({ length: count }, () => createUser(app)))
    const queued: Array<{ user: TestUser, hold: { id: number } }> = []
    for (const user of users) queued.push({ user, hold: (await placeHold(app, user, bookId)).json() })
    return queued
  }
  const lentOut = async () => {
    const book = await createBook(app, { ownerId: owner.id, copies: 1 })
    const reader = await createUser(app)
    const loan = (await borrow(app, reader, book.id)).json()
    return { book, reader, loan }
  }

  await t.test('a return with three waiting: the first is ready, only its holder may borrow', async (t) => {
    const { book, loan, reader } = await lentOut()
    const [a, b, c] = await queueOn(book.id, 3)
    if (a === undefined || b === undefined || c === undefined) throw new Error('no queue')
    const returned = await app.inject({ method: 'POST', url: `/api/borrows/${loan.id}/return`, headers: reader.headers })
    t.equal(returned.statusCode, 200)
    const ready = await holdOf(a.user, a.hold.id)
    t.match(ready, { status: 'ready', position: null })
    t.equal(Date.parse(ready.pickupBy) - Date.parse(ready.readyAt), 3 * day, 'pickupBy = readyAt + HOLD_PICKUP_DAYS')
    t.match(await holdOf(b.user, b.hold.id), { status: 'waiting', position: 1 })
    t.match(await shelf(app, book.id), { available: 0, held: 1, borrowed: 0, holdCount: 2, ready: 1 })
    t.equal((await app.inject({ url: `/api/books/${book.id}` })).json().availableCopies, 0)
    t.equal(await emailsTo(app, a.user, 'hold_ready'), 1, 'the holder gets one email')
    t.equal(await emailsTo(app, b.user, 'hold_ready'), 0)

    const stranger = await createUser(app)
    t.match((await borrow(app, stranger, book.id)).json(), { code: 'NO_COPIES_AVAILABLE' })
    t.match((await borrow(app, b.user, book.id)).json(), { code: 'NO_COPIES_AVAILABLE' }, 'nor the next in the queue')
    const mine = await app.inject({ method: 'POST', url: `/api/books/${book.id}/borrow`, headers: a.user.headers })
    t.equal(mine.statusCode, 201)
    t.match(await holdOf(a.user, a.hold.id), { status: 'fulfilled' })
    t.match(await shelf(app, book.id), { available: 0, held: 0, borrowed: 1, holdCount: 2 })
  })

  await t.test('cancelling a ready hold hands the copy to the next; with no one left, back to the shelf', async (t) => {
    const { book, loan, reader } = await lentOut()
    const [a, b] = await queueOn(book.id, 2)
    if (a === undefined || b === undefined) throw new Error('no queue')
    await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: reader.headers })
    t.equal(loan.isReturned, false)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/holds/${a.hold.id}`, headers: a.user.headers })).statusCode, 204)
    t.match(await holdOf(b.user, b.hold.id), { status: 'ready' })
    t.equal(await emailsTo(app, b.user, 'hold_ready'), 1)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/holds/${b.hold.id}`, headers: admin.headers })).statusCode, 204, 'an admin may cancel it')
    t.match(await shelf(app, book.id), { available: 1, held: 0, holdCount: 0, ready: 0 })
  })

  await t.test('a ready hold past pickupBy expires and hands on', async (t) => {
    const { book, reader } = await lentOut()
    const [a, b] = await queueOn(book.id, 2)
    if (a === undefined || b === undefined) throw new Error('no queue')
    await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: reader.headers })
    t.equal(await app.holds.expireReadyHolds(new Date(Date.now() + day)), 0, 'not before pickupBy')
    t.equal(await app.holds.expireReadyHolds(new Date(Date.now() + 4 * day)), 1)
    t.match(await holdOf(a.user, a.hold.id), { status: 'expired' })
    const next = await holdOf(b.user, b.hold.id)
    t.match(next, { status: 'ready' })
    t.equal(await app.holds.expireReadyHolds(new Date(Date.parse(next.pickupBy) + 1)), 1)
    t.match(await holdOf(b.user, b.hold.id), { status: 'expired' })
    t.match(await shelf(app, book.id), { available: 1, held: 0, ready: 0, waiting: 0 }, 'no one waiting: back on the shelf')
  })

  await t.test('an admin adding copies serves the queue first', async (t) => {
    const { book } = await lentOut()
    const [a, b, c] = await queueOn(book.id, 3)
    if (a === undefined || b === undefined || c === undefined) throw new Error('no queue')
    const patched = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: admin.headers, payload: { totalCopies: 3 } })
    t.equal(patched.statusCode, 200)
    t.match(patched.json(), { totalCopies: 3, availableCopies: 0, holdCount: 1 })
    t.match(await holdOf(a.user, a.hold.id), { status: 'ready' })
    t.match(await holdOf(b.user, b.hold.id), { status: 'ready' })
    t.match(await holdOf(c.user, c.hold.id), { status: 'waiting', position: 1 })
    t.match(await shelf(app, book.id), { available: 0, held: 2, borrowed: 1 })
  })

  await t.test('deleting a book cancels its active holds and tells the holders', async (t) => {
    const book = await createBook(app, { ownerId: owner.id, copies: 0 })
    const [a] = await queueOn(book.id, 1)
    if (a === undefined) throw new Error('no queue')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: owner.headers })).statusCode, 204)
    t.match(await holdOf(a.user, a.hold.id), { status: 'cancelled' })
    t.equal(await emailsTo(app, a.user, 'hold_cancelled'), 1)
  })
})
