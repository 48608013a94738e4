import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import { books } from '../../../src/db/schema/index.js'
import { build, createBook, createUser, type TestUser } from '../../helpers/index.js'
import { bookCopies } from './fixtures.js'

t.test('20 users racing for the last copy: exactly one 201', async (t) => {
  const app = await build(t)
  const owner = await createUser(app)
  const book = await createBook(app, { ownerId: owner.id, copies: 1 })
  const racers = await Promise.all(Array.from({ length: 20 }, () => createUser(app)))
  const responses = await Promise.all(racers.map((user, index) => app.inject({
    method: 'POST',
    url: index % 2 === 0 ? '/api/borrows' : `/api/books/${book.id}/borrow`,
    headers: user.headers,
    ...(index % 2 === 0 ? { payload: { bookId: book.id } } : {})
  })))
  const statuses = responses.map((response) => response.statusCode)
  t.equal(statuses.filter((status) => status === 201).length, 1, 'one winner')
  t.equal(statuses.filter((status) => status === 409).length, 19, 'the others are told')
  t.ok(responses.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'NO_COPIES_AVAILABLE'))
  t.same(await bookCopies(app, book.id), { total: 1, available: 0, borrowed: 1, setAside: 0, open: 1 })
})

t.test('one user double-clicking: 10 parallel borrows of one book → exactly one open borrow', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const book = await createBook(app, { ownerId: alice.id, copies: 5 })
  const responses = await Promise.all(Array.from({ length: 10 }, (_, index) => app.inject({
    method: 'POST',
    url: index % 2 === 0 ? '/api/borrows' : `/api/books/${book.id}/borrow`,
    headers: alice.headers,
    ...(index % 2 === 0 ? { payload: { bookId: book.id } } : {})
  })))
  const statuses = responses.map((response) => response.statusCode)
  t.equal(statuses.filter((status) => status === 201).length, 1)
  t.ok(responses.filter((r) => r.statusCode !== 201).every((r) => r.statusCode === 409 && r.json().code === 'ALREADY_BORROWED'))
  t.same(await bookCopies(app, book.id), { total: 5, available: 4, borrowed: 1, setAside: 0, open: 1 })
})

t.test('one user borrowing many books at once cannot pass MAX_OPEN_BORROWS', async (t) => {
  const app = await build(t, { env: { MAX_OPEN_BORROWS: '3', BORROW_RATE_LIMIT_PER_HOUR: '100' } })
  const alice = await createUser(app)
  const shelf = await Promise.all(Array.from({ length: 8 }, () => createBook(app, { ownerId: alice.id, copies: 2 })))
  const responses = await Promise.all(shelf.map((book) =>
    app.inject({ method: 'POST', url: '/api/borrows', headers: alice.headers, payload: { bookId: book.id } })))
  t.equal(responses.filter((r) => r.statusCode === 201).length, 3)
  t.ok(responses.filter((r) => r.statusCode !== 201).every((r) => r.json().code === 'BORROW_LIMIT_REACHED'))
  const copies = await Promise.all(shelf.map((book) => bookCopies(app, book.id)))
  t.equal(copies.reduce((sum, c) => sum + c.borrowed, 0), 3)
})

/** A small deterministic generator, so a failing interleaving can be replayed. */
function random (seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

t.test('random interleavings of borrows, returns and set-aside changes keep the copies adding up', async (t) => {
  const app = await build(t, { env: { BORROW_RATE_LIMIT_PER_HOUR: '10000', MAX_OPEN_BORROWS: '3' } })
  const next = random(20261122)
  const owner = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const users: TestUser[] = await Promise.all(Array.from({ length: 8 }, () => createUser(app)))
  const shelf = await Promise.all(Array.from({ length: 4 }, (_, index) => createBook(app, { ownerId: owner.id, copies: index + 1 })))
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)] as T
  const seen = new Map<number, number>()

  // An admin moving copies between the shelf and "set aside", as the catalogue's PATCH does: one
  // conditional UPDATE, so it never takes a copy that is out on loan.
  const setAside = (bookId: number, delta: number) => app.db.update(books)
    .set({ availableCopies: sql`${books.availableCopies} - ${delta}`, setAsideCopies: sql`${books.setAsideCopies} + ${delta}` })
    .where(delta > 0
      ? sql`${books.id} = ${bookId} and ${books.availableCopies} >= ${delta}`
      : sql`${books.id} = ${bookId} and ${books.setAsideCopies} >= ${-delta}`)

  for (let round = 0; round < 12; round++) {
    const operations = Array.from({ length: 16 }, async () => {
      const user = pick(users)
      const book = pick(shelf)
      const roll = next()
      if (roll < 0.45) {
        const response = await app.inject({ method: 'POST', url: `/api/books/${book.id}/borrow`, headers: user.headers })
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
      } else if (roll < 0.55) {
        const response = await app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId: book.id } })
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
      } else if (roll < 0.85) {
        const response = await app.inject({ method: 'POST', url: `/api/books/${book.id}/return`, headers: user.headers })
        seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
      } else if (roll < 0.92) {
        const history = (await app.inject({ url: '/api/borrows?status=open', headers: user.headers })).json()
        const open = history.items[0]
        if (open !== undefined) {
          const response = await app.inject({ method: 'POST', url: `/api/borrows/${open.id}/return`, headers: next() < 0.5 ? user.headers : admin.headers })
          seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
        }
      } else {
        await setAside(book.id, next() < 0.5 ? 1 : -1)
      }
    })
    await Promise.all(operations)
    for (const book of shelf) {
      const copies = await bookCopies(app, book.id)
      if (copies.available + copies.open + copies.setAside !== copies.total || copies.borrowed !== copies.open) {
        t.fail(`round ${round}: book ${book.id} does not add up`, { copies })
      }
    }
  }
  t.same([...seen.keys()].filter((status) => ![200, 201, 404, 409].includes(status)), [], 'only the expected answers')
  t.ok((seen.get(201) ?? 0) > 5, 'some borrows went through')
  t.ok((seen.get(200) ?? 0) > 5, 'some returns went through')
  for (const book of shelf) {
    const copies = await bookCopies(app, book.id)
    t.equal(copies.available + copies.open + copies.setAside, copies.total, `book ${book.id}: available + open + set aside = total`)
    t.equal(copies.borrowed, copies.open, `book ${book.id}: borrowed copies = open borrows`)
  }
  // The database itself refuses a write that would break the balance.
  await t.rejects(app.db.update(books).set({ availableCopies: sql`${books.availableCopies} + 1` }).where(eq(books.id, shelf[0]?.id ?? 0)))
})
