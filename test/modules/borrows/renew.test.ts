import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import { borrows } from '../../../src/db/schema/index.js'
import { build, createBook, createUser } from '../../helpers/index.js'

const day = 86_400_000

t.test('renewing a borrow', async (t) => {
  const app = await build(t)
  const owner = await createUser(app)
  const alice = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const renew = (id: number, headers = alice.headers) => app.inject({ method: 'POST', url: `/api/borrows/${id}/renew`, headers })
  const borrowNew = async (copies = 2) => {
    const book = await createBook(app, { ownerId: owner.id, copies })
    const response = await app.inject({ method: 'POST', url: '/api/borrows', headers: alice.headers, payload: { bookId: book.id } })
    return { book, loan: response.json() }
  }

  await t.test('from a future dueAt: dueAt + LOAN_DAYS, up to MAX_RENEWALS', async (t) => {
    const { loan } = await borrowNew()
    t.equal(loan.renewalCount, 0)
    const first = await renew(loan.id)
    t.equal(first.statusCode, 200)
    t.equal(first.json().renewalCount, 1)
    t.equal(Date.parse(first.json().dueAt) - Date.parse(loan.dueAt), 14 * day)
    const second = await renew(loan.id, admin.headers)
    t.equal(second.json().renewalCount, 2, 'an admin may renew it')
    t.equal(Date.parse(second.json().dueAt) - Date.parse(loan.dueAt), 28 * day)
    const third = await renew(loan.id)
    t.equal(third.statusCode, 409)
    t.match(third.json(), { code: 'RENEWAL_LIMIT_REACHED' })
    const history = await app.inject({ url: '/api/borrows', headers: alice.headers })
    t.equal(history.json().items.find((b: { id: number }) => b.id === loan.id).renewalCount, 2, 'the history shows it')
  })

  await t.test('an overdue loan: from now', async (t) => {
    const { loan } = await borrowNew()
    const past = new Date(Date.now() - 20 * day)
    await app.db.update(borrows).set({ borrowedAt: past, dueAt: new Date(past.getTime() + 14 * day) }).where(eq(borrows.id, loan.id))
    const before = Date.now()
    const renewed = (await renew(loan.id)).json()
    t.ok(Date.parse(renewed.dueAt) >= before + 14 * day && Date.parse(renewed.dueAt) <= Date.now() + 14 * day)
    t.equal(renewed.overdue, false)
  })

  await t.test('someone else\'s → 404; returned → ALREADY_RETURNED', async (t) => {
    const { loan } = await borrowNew()
    t.equal((await renew(loan.id, owner.headers)).statusCode, 404)
    await app.inject({ method: 'POST', url: `/api/borrows/${loan.id}/return`, headers: alice.headers })
    t.match((await renew(loan.id)).json(), { code: 'ALREADY_RETURNED' })
  })

  await t.test('someone waiting for the book → BOOK_ON_HOLD; a race with a hold ends one way', async (t) => {
    const { book, loan } = await borrowNew(1)
    const bob = await createUser(app)
    const [renewed, held] = await Promise.all([
      renew(loan.id),
      app.inject({ method: 'POST', url: `/api/books/${book.id}/holds`, headers: bob.headers })
    ])
    t.equal(held.statusCode, 201, 'the hold is placed')
    t.ok(renewed.statusCode === 200 || renewed.json().code === 'BOOK_ON_HOLD', 'the renewal came first, or was refused')
    const again = await renew(loan.id)
    t.match(again.json(), { code: 'BOOK_ON_HOLD' })
  })

  await t.test('statistics count renewals and holds placed', async (t) => {
    const stats = (await app.inject({ url: '/api/stats', headers: admin.headers })).json()
    t.ok(stats.renewalCount >= 3, 'two renewals of one loan, one of the overdue loan, perhaps the raced one')
    t.equal(stats.holdsPlaced, 1)
    const quiet = (await app.inject({ url: '/api/stats?from=2030-01-01&to=2030-02-01', headers: admin.headers })).json()
    t.match(quiet, { renewalCount: 0, holdsPlaced: 0 })
  })

  await t.test('the all-time renewal count is the sum over every borrow, whatever statement writes one', async (t) => {
    const allTime = async () => (await app.inject({ url: '/api/stats', headers: admin.headers })).json().renewalCount
    const fromRows = async () => {
      const [row] = await app.db.select({ total: sql<string>`coalesce(sum(${borrows.renewalCount}), 0)` }).from(borrows)
      return Number(row?.total)
    }
    t.equal(await allTime(), await fromRows(), 'after the renewals above')
    const { loan } = await borrowNew()
    await app.db.update(borrows).set({ renewalCount: 3 }).where(eq(borrows.id, loan.id))
    t.equal(await allTime(), await fromRows(), 'after an UPDATE')
    const before = await allTime()
    await app.db.update(borrows).set({ userId: owner.id }).where(eq(borrows.id, loan.id))
    t.equal(await allTime(), before, 'a borrow moved to another user keeps its renewals in the total')
    await app.db.delete(borrows).where(eq(borrows.id, loan.id))
    t.equal(await allTime(), before - 3, 'after a DELETE')
    t.equal(await allTime(), await fromRows())
  })
})
