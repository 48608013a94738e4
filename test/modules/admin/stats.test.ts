import { eq } from 'drizzle-orm'
import t from 'tap'
import { borrows } from '../../../src/db/schema/index.js'
import { build, createAuthor, createBook, createBorrows, createUser, type TestUser } from '../../helpers/index.js'

const day = 86_400_000

/** A small deterministic generator. */
function random (seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 4294967296
  }
}

interface Row {
  userId: number
  bookId: number
  borrowedAt: Date
  returnedAt: Date | null
}

t.test('GET /api/stats matches figures computed independently from the rows', async (t) => {
  const app = await build(t)
  const admin = await createUser(app, { role: 'admin' })
  const readers: TestUser[] = await Promise.all(Array.from({ length: 6 }, () => createUser(app)))
  const authorList = await Promise.all(['Le Guin', 'Butler', 'Jemisin'].map((name) => createAuthor(app, name)))
  const shelf = await Promise.all(Array.from({ length: 7 }, (_, index) => createBook(app, {
    ownerId: admin.id,
    authorId: authorList[index % 3]?.id ?? 0,
    title: `Title ${index}`,
    copies: 50,
    deleted: index === 6 // history keeps soft-deleted books
  })))

  const from = new Date('2025-02-01T00:00:00.000Z')
  const to = new Date('2025-03-01T00:00:00.000Z')
  const next = random(42)
  const rows: Row[] = []
  // Skewed choices so the top lists have a clear order, with some ties.
  const skewed = <T>(items: T[]) => items[Math.floor(next() ** 2 * items.length)] as T
  const openPairs = new Set<string>()
  for (let i = 0; i < 240; i++) {
    const borrowedAt = new Date(Date.parse('2025-01-01T00:00:00.000Z') + Math.floor(next() * 90 * day / 1000) * 1000 + 123)
    const userId = skewed(readers).id
    const bookId = skewed(shelf.slice(0, 6)).id
    // At most one open borrow per user and book, as the database requires.
    const returned = next() < 0.7 || openPairs.has(`${userId}:${bookId}`)
    if (!returned) openPairs.add(`${userId}:${bookId}`)
    const returnedAt = returned ? new Date(borrowedAt.getTime() + Math.floor(next() * 20 * day / 1000) * 1000) : null
    rows.push({ userId, bookId, borrowedAt, returnedAt })
  }
  // The edges: made exactly at `from` (in) and at `to` (out); returned exactly at `from` (in) and `to` (out).
  const edgeUser = readers[5]?.id ?? 0
  const edgeBook = shelf[6]?.id ?? 0
  rows.push(
    { userId: edgeUser, bookId: edgeBook, borrowedAt: from, returnedAt: null },
    { userId: readers[4]?.id ?? 0, bookId: edgeBook, borrowedAt: to, returnedAt: null },
    { userId: edgeUser, bookId: edgeBook, borrowedAt: new Date(from.getTime() - 3 * day), returnedAt: from },
    { userId: edgeUser, bookId: edgeBook, borrowedAt: new Date(to.getTime() - 5 * day), returnedAt: to },
    { userId: edgeUser, bookId: edgeBook, borrowedAt: new Date(from.getTime() - 1), returnedAt: new Date(to.getTime() - 1) }
  )
  await createBorrows(app, rows)

  const inWindow = (instant: Date | null, start?: Date, end?: Date) =>
    instant !== null && (start === undefined || instant >= start) && (end === undefined || instant < end)

  function expected (start: Date | undefined, end: Date | undefined, limit: number) {
    const made = rows.filter((row) => inWindow(row.borrowedAt, start, end))
    const returned = rows.filter((row) => inWindow(row.returnedAt, start, end))
    const top = (key: 'bookId' | 'userId') => {
      const counts = new Map<number, number>()
      for (const row of made) counts.set(row[key], (counts.get(row[key]) ?? 0) + 1)
      return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit)
    }
    const durations = returned.map((row) => Math.floor(((row.returnedAt?.getTime() ?? 0) - row.borrowedAt.getTime()) / 1000))
    const seconds = durations.length === 0 ? null : Math.round(durations.reduce((sum, value) => sum + value, 0) / durations.length)
    return {
      period: { from: start?.toISOString() ?? null, to: end?.toISOString() ?? null },
      borrowCount: made.length,
      returnedCount: returned.length,
      renewalCount: 0,
      holdsPlaced: 0,
      topBooks: top('bookId').map(([bookId, borrowCount]) => {
        const book = shelf.find((item) => item.id === bookId)
        const author = authorList.find((item) => item.id === book?.authorId)
        return { book: { id: bookId, title: book?.title }, author: { id: author?.id, name: author?.name }, borrowCount }
      }),
      topBorrowers: top('userId').map(([userId, borrowCount]) => {
        const user = readers.find((item) => item.id === userId)
        return { user: { id: userId, email: user?.email, username: user?.username }, borrowCount }
      }),
      averageBorrowDuration: {
        seconds,
        days: seconds === null ? null : Math.round(seconds / 864) / 100,
        sampleSize: returned.length
      }
    }
  }

  const stats = async (query: string) => {
    const response = await app.inject({ url: `/api/stats${query}`, headers: admin.headers })
    t.equal(response.statusCode, 200, query)
    return response.json()
  }

  t.same(await stats(''), expected(undefined, undefined, 10), 'all time')
  t.same(await stats('?from=2025-02-01&to=2025-03-01'), expected(from, to, 10), 'a window, from inclusive and to exclusive')
  t.same(await stats('?from=2025-02-01T00:00:00Z&to=2025-03-01T00:00:00.000Z&limit=3'), expected(from, to, 3), 'limit')
  t.same(await stats('?from=2025-02-01'), expected(from, undefined, 10), 'open end')
  t.same(await stats('?to=2025-03-01&limit=100'), expected(undefined, to, 100), 'open start')
  const shifted = new Date(from.getTime() + 1)
  t.same(await stats('?from=2025-02-01T00:00:00.001Z&to=2025-03-01'), expected(shifted, to, 10), 'a millisecond later')

  const quiet = await stats('?from=2030-01-01&to=2030-02-01')
  t.same(quiet, {
    period: { from: '2030-01-01T00:00:00.000Z', to: '2030-02-01T00:00:00.000Z' },
    borrowCount: 0,
    returnedCount: 0,
    renewalCount: 0,
    holdsPlaced: 0,
    topBooks: [],
    topBorrowers: [],
    averageBorrowDuration: { seconds: null, days: null, sampleSize: 0 }
  }, 'an empty window')

  // All time is served from totals the database keeps per user and book: they follow every write.
  const extra: Row = { userId: readers[0]?.id ?? 0, bookId: shelf[6]?.id ?? 0, borrowedAt: new Date('2025-03-10T10:00:00.500Z'), returnedAt: null }
  const [inserted] = await app.db.insert(borrows).values({ ...extra, dueAt: new Date('2025-03-24T10:00:00.500Z') }).$returningId()
  const extraId = inserted?.id ?? 0
  rows.push(extra)
  t.same(await stats('?limit=100'), expected(undefined, undefined, 100), 'all time after a new borrow')
  extra.returnedAt = new Date('2025-03-12T09:30:00.250Z')
  await app.db.update(borrows).set({ returnedAt: extra.returnedAt }).where(eq(borrows.id, extraId))
  t.same(await stats('?limit=100'), expected(undefined, undefined, 100), 'after its return')
  Object.assign(extra, { userId: readers[3]?.id ?? 0, bookId: shelf[2]?.id ?? 0, borrowedAt: new Date('2025-03-11T00:00:00.000Z') })
  await app.db.update(borrows).set({ userId: extra.userId, bookId: extra.bookId, borrowedAt: extra.borrowedAt }).where(eq(borrows.id, extraId))
  t.same(await stats('?limit=100'), expected(undefined, undefined, 100), 'after a correction of its user, book and date')
  rows.splice(rows.indexOf(extra), 1)
  await app.db.delete(borrows).where(eq(borrows.id, extraId))
  t.same(await stats('?limit=100'), expected(undefined, undefined, 100), 'after its deletion')

  const reader = await createUser(app)
  readers.push(reader)
  const borrowed = await app.inject({ method: 'POST', url: '/api/borrows', headers: reader.headers, payload: { bookId: shelf[3]?.id } })
  t.equal(borrowed.statusCode, 201, borrowed.body)
  const borrowId = borrowed.json<{ id: number }>().id
  t.equal((await app.inject({ method: 'POST', url: `/api/borrows/${borrowId}/return`, headers: reader.headers })).statusCode, 200)
  const [viaApi] = await app.db.select({ userId: borrows.userId, bookId: borrows.bookId, borrowedAt: borrows.borrowedAt, returnedAt: borrows.returnedAt })
    .from(borrows).where(eq(borrows.id, borrowId))
  if (viaApi !== undefined) rows.push(viaApi)
  t.same(await stats('?limit=100'), expected(undefined, undefined, 100), 'after a borrow and a return through the API')

  for (const query of ['?limit=0', '?limit=101', '?from=2025-02-30', '?from=2025-03-01&to=2025-02-01', '?to=soon']) {
    const response = await app.inject({ url: `/api/stats${query}`, headers: admin.headers })
    t.equal(response.statusCode, 400, query)
  }
})
