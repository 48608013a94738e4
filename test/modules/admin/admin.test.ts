import t from 'tap'
import { build, createAuthor, createBook, createBorrow, createBorrows, createUser } from '../../helpers/index.js'

const day = 86_400_000
const base = Date.parse('2025-03-01T00:00:00.000Z')

t.test('admin routes need the admin role', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  for (const url of ['/api/admin/books', '/api/admin/borrows', '/api/stats']) {
    const anonymous = await app.inject({ url })
    t.equal(anonymous.statusCode, 401, url)
    const forbidden = await app.inject({ url, headers: user.headers })
    t.equal(forbidden.statusCode, 403, url)
    t.match(forbidden.json(), { code: 'FORBIDDEN' })
  }
})

t.test('GET /api/admin/books: books with borrow counts and latest borrowers', async (t) => {
  const app = await build(t)
  const admin = await createUser(app, { role: 'admin' })
  const readers = await Promise.all(Array.from({ length: 4 }, () => createUser(app)))
  const author = await createAuthor(app, 'Octavia E. Butler')
  const kindred = await createBook(app, { ownerId: admin.id, authorId: author.id, title: 'Kindred', copies: 3 })
  const dawn = await createBook(app, { ownerId: admin.id, authorId: author.id, title: 'Dawn', copies: 3 })
  const quiet = await createBook(app, { ownerId: admin.id, authorId: author.id, title: 'Unborrowed', copies: 1 })
  const gone = await createBook(app, { ownerId: admin.id, authorId: author.id, title: 'Gone', copies: 1, deleted: true })

  // Kindred: 6 borrows, one a day, each by readers[i % 4]; the last one still open.
  const kindredBorrows: Array<{ id: number, userId: number, borrowedAt: Date, returnedAt: Date | null }> = []
  for (let i = 0; i < 6; i++) {
    const borrowedAt = new Date(base + i * day)
    const returnedAt = i === 5 ? null : new Date(base + i * day + day / 2)
    const userId = readers[i % 4]?.id ?? 0
    kindredBorrows.push({ id: await createBorrow(app, { userId, bookId: kindred.id, borrowedAt, returnedAt }), userId, borrowedAt, returnedAt })
  }
  await createBorrows(app, [
    { userId: readers[0]?.id ?? 0, bookId: dawn.id, borrowedAt: new Date(base), returnedAt: new Date(base + day) },
    { userId: readers[1]?.id ?? 0, bookId: gone.id, borrowedAt: new Date(base), returnedAt: new Date(base + day) }
  ])

  const list = async (query: string) => {
    const response = await app.inject({ url: `/api/admin/books${query}`, headers: admin.headers })
    t.equal(response.statusCode, 200, query)
    return response.json()
  }

  const active = await list('?borrowsPerBook=3')
  t.match(active, { total: 3, page: 1, pageSize: 20, totalPages: 1 })
  t.same(active.items.map((item: { title: string }) => item.title).sort(), ['Dawn', 'Kindred', 'Unborrowed'])
  const kindredItem = active.items.find((item: { id: number }) => item.id === kindred.id)
  t.match(kindredItem, { id: kindred.id, title: 'Kindred', author: { id: author.id, name: 'Octavia E. Butler' }, totalCopies: 3, deletedAt: null, borrowCount: 6 })
  const newestFirst = [...kindredBorrows].reverse().slice(0, 3)
  t.same(kindredItem.borrowers, newestFirst.map((borrow) => {
    const user = readers.find((reader) => reader.id === borrow.userId)
    return {
      borrowId: borrow.id,
      user: { id: user?.id, email: user?.email, username: user?.username },
      borrowedAt: borrow.borrowedAt.toISOString(),
      returnedAt: borrow.returnedAt?.toISOString() ?? null,
      isReturned: borrow.returnedAt !== null
    }
  }), 'the three latest borrows, newest first, with their users')
  t.match(active.items.find((item: { id: number }) => item.id === dawn.id), { borrowCount: 1, borrowers: [{ user: { id: readers[0]?.id } }] })
  t.match(active.items.find((item: { id: number }) => item.id === quiet.id), { borrowCount: 0, borrowers: [] })

  t.equal((await list('')).items.find((item: { id: number }) => item.id === kindred.id).borrowers.length, 6, 'borrowsPerBook defaults to 20')
  t.same((await list('?borrowsPerBook=0')).items.map((item: { borrowers: unknown[] }) => item.borrowers.length), [0, 0, 0])

  const deleted = await list('?status=deleted')
  t.equal(deleted.total, 1)
  t.match(deleted.items[0], { id: gone.id, deletedAt: String, borrowCount: 1, borrowers: [{ user: { id: readers[1]?.id } }] })
  t.equal((await list('?status=all')).total, 4)
  const paged = await list('?status=all&pageSize=3&page=2')
  t.match(paged, { total: 4, totalPages: 2, items: [{}] })

  for (const query of ['?borrowsPerBook=101', '?status=gone', '?pageSize=0']) {
    const response = await app.inject({ url: `/api/admin/books${query}`, headers: admin.headers })
    t.equal(response.statusCode, 400, query)
  }
})

t.test('GET /api/admin/borrows: every borrow with its user, filtered', async (t) => {
  const app = await build(t)
  const admin = await createUser(app, { role: 'admin' })
  const alice = await createUser(app)
  const bob = await createUser(app)
  const book = await createBook(app, { ownerId: admin.id, copies: 5, title: 'Beloved' })
  const other = await createBook(app, { ownerId: admin.id, copies: 5 })
  const insert = async (userId: number, bookId: number, borrowedAt: number, returnedAt: number | null, dueIn = 14 * day) =>
    await createBorrow(app, { userId, bookId, borrowedAt: new Date(borrowedAt), dueAt: new Date(borrowedAt + dueIn), returnedAt: returnedAt === null ? null : new Date(returnedAt) })
  const a1 = await insert(alice.id, book.id, base, base + day)
  const a2 = await insert(alice.id, other.id, base + day, null)
  const b1 = await insert(bob.id, book.id, base + 2 * day, null)
  const recent = await insert(bob.id, other.id, Date.now() - day, null)

  const list = async (query = '') => {
    const response = await app.inject({ url: `/api/admin/borrows${query}`, headers: admin.headers })
    t.equal(response.statusCode, 200, query)
    return response.json()
  }
  const ids = (page: { items: Array<{ id: number }> }) => page.items.map((item) => item.id)

  const all = await list()
  t.same(ids(all), [recent, b1, a2, a1])
  t.match(all.items[1], { id: b1, book: { id: book.id, title: 'Beloved' }, user: { id: bob.id, email: bob.email, username: bob.username }, isReturned: false, overdue: true })
  t.same(ids(await list(`?userId=${alice.id}`)), [a2, a1])
  t.same(ids(await list(`?bookId=${book.id}`)), [b1, a1])
  t.same(ids(await list('?status=open')), [recent, b1, a2])
  t.same(ids(await list('?status=overdue')), [b1, a2])
  t.same(ids(await list('?status=returned')), [a1])
  t.same(ids(await list('?from=2025-03-02&to=2025-03-03')), [a2], 'from inclusive, to exclusive')
  t.same(ids(await list(`?from=2025-03-01T00:00:00.001Z&userId=${alice.id}`)), [a2])
  t.match(await list('?pageSize=1&page=2'), { total: 4, totalPages: 4, items: [{ id: b1 }] })
  const invalid = await app.inject({ url: '/api/admin/borrows?to=2025-02-30', headers: admin.headers })
  t.match(invalid.json(), { status: 400, code: 'VALIDATION_FAILED' })
})
