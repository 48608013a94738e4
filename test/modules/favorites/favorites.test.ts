import { and, count, eq } from 'drizzle-orm'
import t from 'tap'
import { favorites } from '../../../src/db/schema/index.js'
import { build, createUser, postBook } from '../../helpers/index.js'
import { testEnvOverrides } from '../books/fixtures.js'

t.test('favourites', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, bob, admin] = await Promise.all([createUser(app), createUser(app), createUser(app, { role: 'admin' })])
  const unverified = await createUser(app, { verified: false })
  const book = await postBook(app, bob, { title: 'Shared favourite', genre: 'Poetry' })
  const favoritesOf = async (userId: number) => (await app.db.select({ n: count() }).from(favorites).where(eq(favorites.userId, userId)))[0]?.n

  t.test('POST adds one: the book with favoritedAt; again is 409', async (t) => {
    const added = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: alice.headers })
    t.equal(added.statusCode, 201)
    const body = added.json()
    t.same({ ...body, favoritedAt: undefined }, { ...book, favoritedAt: undefined })
    t.ok(Date.parse(body.favoritedAt) > 0)

    const again = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: alice.headers })
    t.equal(again.statusCode, 409)
    t.equal(again.json().code, 'ALREADY_FAVORITE')
    t.equal(await favoritesOf(alice.id), 1)

    const byUnverified = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: unverified.headers })
    t.equal(byUnverified.statusCode, 201, 'favourites only need a bearer token')
  })

  t.test('refusals', async (t) => {
    const missing = await app.inject({ method: 'POST', url: '/api/favorites/99999', headers: alice.headers })
    t.equal(missing.statusCode, 404)
    t.equal(missing.json().code, 'NOT_FOUND')
    t.equal((await app.inject({ method: 'POST', url: '/api/favorites/abc', headers: alice.headers })).statusCode, 400)
    const anonymous = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}` })
    t.equal(anonymous.statusCode, 401)
    t.equal((await app.inject({ url: '/api/favorites' })).statusCode, 401)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/favorites/${book.id}` })).statusCode, 401)
    const withBody = await app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: bob.headers, payload: { bookId: book.id, userId: alice.id } })
    t.equal(withBody.statusCode, 400, 'a body naming another user is refused, never obeyed')
    t.equal(await favoritesOf(alice.id), 1, 'alice keeps only the favourite she added')
    t.equal(await favoritesOf(bob.id), 0)
  })

  t.test('10 parallel adds of the same book: exactly one 201', async (t) => {
    const racer = await createUser(app)
    const responses = await Promise.all(Array.from({ length: 10 }, () =>
      app.inject({ method: 'POST', url: `/api/favorites/${book.id}`, headers: racer.headers })))
    const statuses = responses.map((response) => response.statusCode)
    t.equal(statuses.filter((status) => status === 201).length, 1)
    t.equal(statuses.filter((status) => status === 409).length, 9)
    t.ok(responses.filter((response) => response.statusCode === 409).every((response) => response.json().code === 'ALREADY_FAVORITE'))
    t.equal(await favoritesOf(racer.id), 1)
  })

  t.test('GET lists only the caller’s favourites, newest first, paginated', async (t) => {
    const carol = await createUser(app)
    const mine = []
    for (let i = 0; i < 5; i++) {
      const other = await postBook(app, bob)
      await app.inject({ method: 'POST', url: `/api/favorites/${other.id}`, headers: carol.headers })
      await app.db.update(favorites).set({ createdAt: new Date(Date.UTC(2024, 0, 1 + (i % 3))) })
        .where(and(eq(favorites.userId, carol.id), eq(favorites.bookId, other.id)))
      mine.push({ id: other.id, at: Date.UTC(2024, 0, 1 + (i % 3)) })
    }
    const expected = mine.sort((a, b) => b.at - a.at || b.id - a.id).map((item) => item.id)
    const first = await app.inject({ url: '/api/favorites?pageSize=3', headers: carol.headers })
    t.equal(first.statusCode, 200)
    t.match(first.json(), { page: 1, pageSize: 3, total: 5, totalPages: 2 })
    const second = await app.inject({ url: '/api/favorites?pageSize=3&page=2', headers: carol.headers })
    const items = [...first.json().items, ...second.json().items]
    t.same(items.map((item: { id: number }) => item.id), expected, 'newest first, book id breaking ties')
    t.equal(items[0].favoritedAt, new Date(Date.UTC(2024, 0, 3)).toISOString())

    const aliceList = (await app.inject({ url: '/api/favorites', headers: alice.headers })).json()
    t.same(aliceList.items.map((item: { id: number }) => item.id), [book.id], 'alice sees only her own')
    const bobList = (await app.inject({ url: '/api/favorites', headers: bob.headers })).json()
    t.same(bobList, { items: [], page: 1, pageSize: 20, total: 0, totalPages: 0 }, 'bob, the book’s owner, sees none of them')
    t.equal((await app.inject({ url: '/api/favorites?pageSize=101', headers: bob.headers })).statusCode, 400)
  })

  t.test('DELETE removes only the caller’s favourite', async (t) => {
    const byBob = await app.inject({ method: 'DELETE', url: `/api/favorites/${book.id}`, headers: bob.headers })
    t.equal(byBob.statusCode, 404, 'bob has no such favourite; alice’s is untouched')
    t.equal(byBob.json().code, 'NOT_FOUND')
    t.equal(await favoritesOf(alice.id), 1)
    const removed = await app.inject({ method: 'DELETE', url: `/api/favorites/${book.id}`, headers: alice.headers })
    t.equal(removed.statusCode, 204)
    t.equal(removed.body, '')
    t.equal(await favoritesOf(alice.id), 0)
    const again = await app.inject({ method: 'DELETE', url: `/api/favorites/${book.id}`, headers: alice.headers })
    t.equal(again.statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: '/api/favorites/99999', headers: alice.headers })).statusCode, 404)
  })

  t.test('a soft-deleted book vanishes from favourites and comes back when restored', async (t) => {
    const doomed = await postBook(app, bob)
    t.equal((await app.inject({ method: 'POST', url: `/api/favorites/${doomed.id}`, headers: alice.headers })).statusCode, 201)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/books/${doomed.id}`, headers: bob.headers })).statusCode, 204)
    t.same((await app.inject({ url: '/api/favorites', headers: alice.headers })).json().items, [], 'gone from the list')
    t.equal((await app.inject({ url: '/api/favorites', headers: alice.headers })).json().total, 0)
    const add = await app.inject({ method: 'POST', url: `/api/favorites/${doomed.id}`, headers: bob.headers })
    t.equal(add.statusCode, 404, 'a deleted book cannot become a favourite')
    const remove = await app.inject({ method: 'DELETE', url: `/api/favorites/${doomed.id}`, headers: alice.headers })
    t.equal(remove.statusCode, 404, 'nor be removed from them')
    t.equal(await favoritesOf(alice.id), 1, 'the row is kept (history)')

    t.equal((await app.inject({ method: 'POST', url: `/api/admin/books/${doomed.id}/restore`, headers: admin.headers })).statusCode, 200)
    t.same((await app.inject({ url: '/api/favorites', headers: alice.headers })).json().items.map((item: { id: number }) => item.id), [doomed.id], 'back after restore')
  })
})
