import { count, eq, sql } from 'drizzle-orm'
import t from 'tap'
import { books, reviews, users } from '../../../src/db/schema/index.js'
import { build, createUser, postBook } from '../../helpers/index.js'
import { testEnvOverrides } from '../books/fixtures.js'

t.test('reviews', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [owner, alice, bob, carol, admin] = await Promise.all([
    createUser(app), createUser(app), createUser(app), createUser(app), createUser(app, { role: 'admin' })
  ])
  const unverified = await createUser(app, { verified: false })
  const book = await postBook(app, owner, { title: 'Reviewed' })
  const otherBook = await postBook(app, owner, { title: 'Other' })

  /** averageRating and reviewCount as the API shows them, checked against the reviews table. */
  async function ratingsOf (bookId: number) {
    const shown = (await app.inject({ url: `/api/books/${bookId}` })).json()
    const [stored] = await app.db.select({ n: count(), sum: sql<string | null>`sum(${reviews.rating})` }).from(reviews).where(eq(reviews.bookId, bookId))
    const n = stored?.n ?? 0
    const expected = n === 0 ? null : Math.round((Number(stored?.sum) / n) * 100) / 100
    t.equal(shown.averageRating, expected, 'averageRating matches the reviews table')
    t.equal(shown.reviewCount, n, 'reviewCount matches the reviews table')
    return { averageRating: shown.averageRating, reviewCount: shown.reviewCount }
  }

  let aliceReview: { id: number }
  let bobReview: { id: number }

  t.test('POST /api/book/review and POST /api/books/:id/reviews create reviews', async (t) => {
    const first = await app.inject({ method: 'POST', url: '/api/book/review', headers: alice.headers, payload: { bookId: book.id, rating: 5, comment: 'Loved it' } })
    t.equal(first.statusCode, 201)
    aliceReview = first.json()
    t.match(aliceReview, { id: Number, bookId: book.id, user: { id: alice.id, username: alice.username }, rating: 5, comment: 'Loved it', createdAt: String, updatedAt: String })
    t.same(await ratingsOf(book.id), { averageRating: 5, reviewCount: 1 })

    const second = await app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: bob.headers, payload: { rating: 4 } })
    t.equal(second.statusCode, 201)
    bobReview = second.json()
    t.match(bobReview, { bookId: book.id, user: { id: bob.id }, rating: 4, comment: null })

    const third = await app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: carol.headers, payload: { rating: 4, comment: '   ' } })
    t.equal(third.statusCode, 201)
    t.equal(third.json().comment, null, 'a blank comment is no comment')
    t.same(await ratingsOf(book.id), { averageRating: 4.33, reviewCount: 3 }, '13 / 3 rounded to two decimals')
    t.same(await ratingsOf(otherBook.id), { averageRating: null, reviewCount: 0 })
  })

  t.test('one review per user and book', async (t) => {
    for (const [url, payload] of [['/api/book/review', { bookId: book.id, rating: 1 }], [`/api/books/${book.id}/reviews`, { rating: 1 }]] as const) {
      const response = await app.inject({ method: 'POST', url, headers: alice.headers, payload })
      t.equal(response.statusCode, 409)
      t.equal(response.json().code, 'ALREADY_REVIEWED')
    }
    t.same(await ratingsOf(book.id), { averageRating: 4.33, reviewCount: 3 }, 'aggregates unchanged')

    const racer = await createUser(app)
    const responses = await Promise.all(Array.from({ length: 5 }, (_, index) =>
      app.inject({ method: 'POST', url: `/api/books/${otherBook.id}/reviews`, headers: racer.headers, payload: { rating: 1 + index } })))
    t.same(responses.map((response) => response.statusCode).sort(), [201, 409, 409, 409, 409], 'racing reviews: one 201')
    const winner = responses.find((response) => response.statusCode === 201)?.json()
    t.same(await ratingsOf(otherBook.id), { averageRating: winner.rating, reviewCount: 1 }, 'only the winner counted')
  })

  t.test('refused reviews change nothing', async (t) => {
    const before = (await app.db.select({ n: count() }).from(reviews))[0]?.n
    const cases: [string, string, Record<string, unknown>, { authorization: string } | undefined, number, string][] = [
      ['rating 0', `/api/books/${book.id}/reviews`, { rating: 0 }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['rating 6', '/api/book/review', { bookId: book.id, rating: 6 }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['rating 3.5', `/api/books/${book.id}/reviews`, { rating: 3.5 }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['no rating', `/api/books/${book.id}/reviews`, { comment: 'x' }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['comment too long', `/api/books/${book.id}/reviews`, { rating: 3, comment: 'x'.repeat(2001) }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['unknown field', `/api/books/${book.id}/reviews`, { rating: 3, userId: alice.id }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['bookId in the path route', `/api/books/${book.id}/reviews`, { rating: 3, bookId: otherBook.id }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['no bookId', '/api/book/review', { rating: 3 }, owner.headers, 400, 'VALIDATION_FAILED'],
      ['unknown book', '/api/book/review', { bookId: 99999, rating: 3 }, owner.headers, 404, 'NOT_FOUND'],
      ['unknown book path', '/api/books/99999/reviews', { rating: 3 }, owner.headers, 404, 'NOT_FOUND'],
      ['anonymous', `/api/books/${book.id}/reviews`, { rating: 3 }, undefined, 401, 'UNAUTHENTICATED'],
      ['unverified', '/api/book/review', { bookId: book.id, rating: 3 }, unverified.headers, 403, 'EMAIL_NOT_VERIFIED']
    ]
    for (const [name, url, payload, headers, status, code] of cases) {
      const response = await app.inject({ method: 'POST', url, payload, ...(headers === undefined ? {} : { headers }) })
      t.equal(response.statusCode, status, name)
      t.equal(response.json().code, code, name)
    }
    t.equal((await app.db.select({ n: count() }).from(reviews))[0]?.n, before)
    t.same(await ratingsOf(book.id), { averageRating: 4.33, reviewCount: 3 })
    const long = await app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: owner.headers, payload: { rating: 3, comment: 'x'.repeat(2000) } })
    t.equal(long.statusCode, 201, '2000 characters are fine')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/reviews/${long.json().id}`, headers: owner.headers })).statusCode, 204)
  })

  t.test('GET /api/books/:id/reviews: public, newest first, paginated', async (t) => {
    const nameless = await createUser(app)
    await app.db.update(users).set({ username: null }).where(eq(users.id, nameless.id))
    const created = await app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: nameless.headers, payload: { rating: 2, comment: 'Meh' } })
    t.equal(created.json().user.username, null, 'a user without a username')
    await app.db.update(reviews).set({ createdAt: new Date('2020-01-01T00:00:00Z') }).where(eq(reviews.id, aliceReview.id))

    const rows = await app.db.select({ id: reviews.id, createdAt: reviews.createdAt }).from(reviews).where(eq(reviews.bookId, book.id))
    const expected = rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id).map((row) => row.id)
    const first = await app.inject({ url: `/api/books/${book.id}/reviews?pageSize=2` })
    t.equal(first.statusCode, 200)
    t.match(first.json(), { page: 1, pageSize: 2, total: 4, totalPages: 2 })
    const second = await app.inject({ url: `/api/books/${book.id}/reviews?pageSize=2&page=2` })
    t.same([...first.json().items, ...second.json().items].map((review: { id: number }) => review.id), expected)
    t.equal(expected.at(-1), aliceReview.id, 'the oldest last')

    t.equal((await app.inject({ url: '/api/books/99999/reviews' })).statusCode, 404)
    t.equal((await app.inject({ url: `/api/books/${book.id}/reviews?pageSize=101` })).statusCode, 400)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/reviews/${created.json().id}`, headers: nameless.headers })).statusCode, 204)
  })

  t.test('PUT /api/reviews/:id: only the author edits', async (t) => {
    const before = await ratingsOf(book.id)
    for (const user of [bob, admin, owner]) {
      const response = await app.inject({ method: 'PUT', url: `/api/reviews/${aliceReview.id}`, headers: user.headers, payload: { rating: 1, comment: 'Hijacked' } })
      t.equal(response.statusCode, 403)
      t.equal(response.json().code, 'FORBIDDEN')
    }
    t.same(await ratingsOf(book.id), before, 'unchanged')
    const [stored] = await app.db.select().from(reviews).where(eq(reviews.id, aliceReview.id))
    t.equal(stored?.comment, 'Loved it')

    for (const payload of [{}, { rating: 9 }, { rating: 3, bookId: otherBook.id }]) {
      const refused = await app.inject({ method: 'PUT', url: `/api/reviews/${aliceReview.id}`, headers: alice.headers, payload })
      t.equal(refused.statusCode, 400, JSON.stringify(payload))
    }
    t.equal((await app.inject({ method: 'PUT', url: '/api/reviews/99999', headers: alice.headers, payload: { rating: 3 } })).statusCode, 404)
    t.equal((await app.inject({ method: 'PUT', url: `/api/reviews/${aliceReview.id}`, payload: { rating: 3 } })).statusCode, 401)

    const edited = await app.inject({ method: 'PUT', url: `/api/reviews/${aliceReview.id}`, headers: alice.headers, payload: { rating: 2 } })
    t.equal(edited.statusCode, 200)
    t.match(edited.json(), { id: aliceReview.id, bookId: book.id, user: { id: alice.id }, rating: 2, comment: null })
    t.same(await ratingsOf(book.id), { averageRating: 3.33, reviewCount: 3 }, '(2 + 4 + 4) / 3')
    const sameRating = await app.inject({ method: 'PUT', url: `/api/reviews/${aliceReview.id}`, headers: alice.headers, payload: { rating: 2, comment: 'On reflection' } })
    t.equal(sameRating.json().comment, 'On reflection')
    t.same(await ratingsOf(book.id), { averageRating: 3.33, reviewCount: 3 })
  })

  t.test('DELETE /api/reviews/:id: the author or an admin', async (t) => {
    const byOther = await app.inject({ method: 'DELETE', url: `/api/reviews/${bobReview.id}`, headers: alice.headers })
    t.equal(byOther.statusCode, 403)
    t.equal(byOther.json().code, 'FORBIDDEN')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/reviews/${bobReview.id}`, headers: owner.headers })).statusCode, 403, 'not even the book’s owner')
    t.same(await ratingsOf(book.id), { averageRating: 3.33, reviewCount: 3 })

    const byAuthor = await app.inject({ method: 'DELETE', url: `/api/reviews/${bobReview.id}`, headers: bob.headers })
    t.equal(byAuthor.statusCode, 204)
    t.equal(byAuthor.body, '')
    t.same(await ratingsOf(book.id), { averageRating: 3, reviewCount: 2 }, '(2 + 4) / 2')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/reviews/${bobReview.id}`, headers: bob.headers })).statusCode, 404, 'gone')

    const byAdmin = await app.inject({ method: 'DELETE', url: `/api/reviews/${aliceReview.id}`, headers: admin.headers })
    t.equal(byAdmin.statusCode, 204)
    t.same(await ratingsOf(book.id), { averageRating: 4, reviewCount: 1 })
    const again = await app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: bob.headers, payload: { rating: 1 } })
    t.equal(again.statusCode, 201, 'a deleted review can be written anew')
    t.same(await ratingsOf(book.id), { averageRating: 2.5, reviewCount: 2 })
  })

  t.test('a soft-deleted book’s reviews are hidden but kept', async (t) => {
    const doomed = await postBook(app, owner)
    const review = (await app.inject({ method: 'POST', url: `/api/books/${doomed.id}/reviews`, headers: alice.headers, payload: { rating: 4 } })).json()
    t.equal((await app.inject({ method: 'DELETE', url: `/api/books/${doomed.id}`, headers: owner.headers })).statusCode, 204)

    t.equal((await app.inject({ url: `/api/books/${doomed.id}/reviews` })).statusCode, 404, 'list')
    t.equal((await app.inject({ method: 'POST', url: `/api/books/${doomed.id}/reviews`, headers: bob.headers, payload: { rating: 4 } })).statusCode, 404, 'new review')
    t.equal((await app.inject({ method: 'POST', url: '/api/book/review', headers: bob.headers, payload: { bookId: doomed.id, rating: 4 } })).statusCode, 404, 'new review (bookId)')
    t.equal((await app.inject({ method: 'PUT', url: `/api/reviews/${review.id}`, headers: alice.headers, payload: { rating: 1 } })).statusCode, 404, 'edit')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/reviews/${review.id}`, headers: admin.headers })).statusCode, 404, 'delete')
    const [row] = await app.db.select({ reviewCount: books.reviewCount, ratingSum: books.ratingSum }).from(books).where(eq(books.id, doomed.id))
    t.same(row, { reviewCount: 1, ratingSum: 4 }, 'history kept')

    t.equal((await app.inject({ method: 'POST', url: `/api/admin/books/${doomed.id}/restore`, headers: admin.headers })).statusCode, 200)
    t.same((await app.inject({ url: `/api/books/${doomed.id}/reviews` })).json().items.map((item: { id: number }) => item.id), [review.id])
    t.same(await ratingsOf(doomed.id), { averageRating: 4, reviewCount: 1 })
  })
})

t.test('parallel review writes keep the aggregates equal to the reviews', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const owner = await createUser(app)
  const reviewers = await Promise.all(Array.from({ length: 8 }, () => createUser(app)))
  const book = await postBook(app, owner)
  const created = await Promise.all(reviewers.map((user, index) =>
    app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: user.headers, payload: { rating: 1 + (index % 5) } })))
  t.same(created.map((response) => response.statusCode), Array(8).fill(201))
  const writes = await Promise.all(reviewers.map((user, index) => index % 2 === 0
    ? app.inject({ method: 'PUT', url: `/api/reviews/${created[index]?.json().id}`, headers: user.headers, payload: { rating: 5 } })
    : app.inject({ method: 'DELETE', url: `/api/reviews/${created[index]?.json().id}`, headers: user.headers })))
  t.same(writes.map((response) => response.statusCode), [200, 204, 200, 204, 200, 204, 200, 204])
  const [row] = await app.db.select({ ratingSum: books.ratingSum, reviewCount: books.reviewCount, averageRating: books.averageRating }).from(books).where(eq(books.id, book.id))
  t.same(row, { ratingSum: 20, reviewCount: 4, averageRating: 5 })
})
