import t from 'tap'
import { build, createAuthor, createBook, createBorrow, createUser } from '../../helpers/index.js'

const day = 86_400_000

t.test('GET /api/borrows: the caller\'s history, filtered and paginated', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const bob = await createUser(app)
  const tolkien = await createAuthor(app, 'J. R. R. Tolkien')
  const percent = await createAuthor(app, '100% Anonymous')
  const hobbit = await createBook(app, { ownerId: bob.id, authorId: tolkien.id, genre: 'Fantasy', title: 'The Hobbit', copies: 10 })
  const silmarillion = await createBook(app, { ownerId: bob.id, authorId: tolkien.id, genre: 'Mythology', title: 'The Silmarillion', copies: 10 })
  const mystery = await createBook(app, { ownerId: bob.id, authorId: percent.id, genre: 'Fantasy', title: 'Who?', copies: 10, deleted: true })

  const now = Date.now()
  const at = (iso: string) => new Date(iso)
  // Alice's borrows, with chosen dates (copy counters do not matter to the history).
  const rows = [
    { key: 'jan1', bookId: hobbit.id, borrowedAt: at('2025-01-01T00:00:00.000Z'), returnedAt: at('2025-01-05T00:00:00.000Z') },
    { key: 'jan1late', bookId: silmarillion.id, borrowedAt: at('2025-01-01T23:59:59.999Z'), returnedAt: at('2025-01-20T00:00:00.000Z') },
    { key: 'jan2', bookId: mystery.id, borrowedAt: at('2025-01-02T00:00:00.000Z'), returnedAt: at('2025-01-03T00:00:00.000Z') },
    { key: 'overdue', bookId: hobbit.id, borrowedAt: new Date(now - 30 * day), returnedAt: null },
    { key: 'open', bookId: silmarillion.id, borrowedAt: new Date(now - day), returnedAt: null }
  ]
  const ids: Record<string, number> = {}
  for (const row of rows) ids[row.key] = await createBorrow(app, { userId: alice.id, ...row })
  await createBorrow(app, { userId: bob.id, bookId: hobbit.id, borrowedAt: new Date(now - day) })

  const list = async (query = '') => {
    const response = await app.inject({ url: `/api/borrows${query}`, headers: alice.headers })
    t.equal(response.statusCode, 200, query)
    return response.json()
  }
  const idsOf = (page: { items: Array<{ id: number }> }) => page.items.map((item) => item.id)
  const keys = (...names: string[]) => names.map((name) => ids[name])

  await t.test('all of the caller\'s own borrows, newest first', async (t) => {
    const page = await list()
    t.same(idsOf(page), keys('open', 'overdue', 'jan2', 'jan1late', 'jan1'))
    t.match(page, { page: 1, pageSize: 20, total: 5, totalPages: 1 })
    const bobs = (await app.inject({ url: '/api/borrows', headers: bob.headers })).json()
    t.equal(bobs.total, 1, 'bob sees only his own')
    const deletedBook = page.items.find((item: { id: number }) => item.id === ids.jan2)
    t.match(deletedBook, { book: { id: mystery.id, title: 'Who?', genre: 'Fantasy', author: { id: percent.id, name: '100% Anonymous' } }, isReturned: true }, 'a soft-deleted book stays in the history')
    t.equal((await app.inject({ url: '/api/borrows' })).statusCode, 401)
  })

  await t.test('status=open lists the borrows not returned, overdue ones included', async (t) => {
    t.same(idsOf(await list('?status=open')), keys('open', 'overdue'))
  })

  await t.test('status=overdue lists only open borrows past their due date, marked overdue', async (t) => {
    const page = await list('?status=overdue')
    t.same(idsOf(page), keys('overdue'))
    t.match(page.items[0], { overdue: true, isReturned: false, returnedAt: null })
  })

  await t.test('status=returned lists the returned borrows and status=all every one', async (t) => {
    t.same(idsOf(await list('?status=returned')), keys('jan2', 'jan1late', 'jan1'))
    t.same(idsOf(await list('?status=all')), keys('open', 'overdue', 'jan2', 'jan1late', 'jan1'))
  })

  await t.test('an unknown status is 400', async (t) => {
    t.equal((await app.inject({ url: '/api/borrows?status=lost', headers: alice.headers })).statusCode, 400)
  })

  await t.test('bookId and authorId keep the borrows of that book or author', async (t) => {
    t.same(idsOf(await list(`?bookId=${hobbit.id}`)), keys('overdue', 'jan1'))
    t.same(idsOf(await list(`?authorId=${tolkien.id}`)), keys('open', 'overdue', 'jan1late', 'jan1'))
  })

  await t.test('genre matches case-insensitively', async (t) => {
    t.same(idsOf(await list('?genre=fantasy')), keys('overdue', 'jan2', 'jan1'))
  })

  await t.test('author matches part of the name, with % and _ taken literally', async (t) => {
    t.same(idsOf(await list('?author=tolk')), keys('open', 'overdue', 'jan1late', 'jan1'))
    t.same(idsOf(await list('?author=100%25')), keys('jan2'), '% is matched literally')
    t.same(idsOf(await list('?author=0_A')), [], '_ is matched literally')
  })

  await t.test('filters combine with each other and with status', async (t) => {
    t.same(idsOf(await list(`?genre=Fantasy&authorId=${tolkien.id}&status=returned`)), keys('jan1'))
  })

  await t.test('from includes and to excludes the instant, to the millisecond; a date is midnight UTC, an offset is honoured', async (t) => {
    t.same(idsOf(await list('?from=2025-01-01&to=2025-01-02')), keys('jan1late', 'jan1'), 'a date is midnight UTC')
    t.same(idsOf(await list('?from=2025-01-02&to=2025-01-03')), keys('jan2'), 'to excludes, from includes')
    t.same(idsOf(await list('?from=2025-01-01T00:00:00.001Z&to=2025-01-02')), keys('jan1late'))
    t.same(idsOf(await list('?to=2025-01-01T23:59:59.999Z')), keys('jan1'), 'exclusive to the millisecond')
    t.same(idsOf(await list('?from=2025-01-01T23:59:59.999Z&to=2025-01-01T23:59:59.999Z')), [], 'an empty window')
    t.same(idsOf(await list('?from=2025-01-02T01:00:00%2B01:00&to=2025-01-02T00:00:00.001Z')), keys('jan2'), 'an offset is honoured')
    t.same(idsOf(await list('?from=2025-01-02T01:00:00+01:00&to=2025-01-02T00:00:01')), keys('jan2'), 'an unencoded + and no offset (UTC)')
    t.same(idsOf(await list('?from=2025-01-03')), keys('open', 'overdue'))
  })

  await t.test('malformed, impossible or reversed dates are 400 naming from or to', async (t) => {
    for (const query of ['from=yesterday', 'to=2023-02-29', 'from=2025-13-01', 'to=2025-01-01T24:00:00Z', 'from=2025-01-02&to=2025-01-01', 'from=1735689600']) {
      const response = await app.inject({ url: `/api/borrows?${query}`, headers: alice.headers })
      t.equal(response.statusCode, 400, query)
      t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: /^\/querystring\/(from|to)$/ }] }, query)
    }
  })

  await t.test('pages hold pageSize borrows, the last one the rest, and a page past the end none', async (t) => {
    const first = await list('?pageSize=2')
    t.match(first, { page: 1, pageSize: 2, total: 5, totalPages: 3 })
    t.same(idsOf(first), keys('open', 'overdue'))
    t.same(idsOf(await list('?pageSize=2&page=3')), keys('jan1'))
    t.same(idsOf(await list('?pageSize=2&page=4')), [])
  })

  await t.test('a pageSize over 100 is 400', async (t) => {
    t.equal((await app.inject({ url: '/api/borrows?pageSize=101', headers: alice.headers })).statusCode, 400)
  })
})
