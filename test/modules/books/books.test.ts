import { count, eq, sql } from 'drizzle-orm'
import t from 'tap'
import { authors, books } from '../../../src/db/schema/index.js'
import { build, createUser, isbn, postBook } from '../../helpers/index.js'
import { copiesOf, testEnvOverrides } from './fixtures.js'

// One app and database for the whole file (fast under load); each test uses its own users and ISBNs.
const app = await build(t, { env: testEnvOverrides })
const bookCount = async () => (await app.db.select({ n: count() }).from(books))[0]?.n
const authorCount = async () => (await app.db.select({ n: count() }).from(authors))[0]?.n

t.test('POST /api/books creates a book owned by the caller', async (t) => {
  const alice = await createUser(app)

  const created = await app.inject({
    method: 'POST',
    url: '/api/books',
    headers: alice.headers,
    payload: { title: 'A Wizard of Earthsea', isbn: '0-306-40615-2', publicationYear: 1968, publicationDate: '1968-11-01', genre: 'Fantasy', author: 'Ursula K. Le Guin', totalCopies: 3 }
  })
  t.equal(created.statusCode, 201)
  const book = created.json()
  t.match(book, {
    id: Number,
    title: 'A Wizard of Earthsea',
    isbn: '9780306406157',
    genre: 'Fantasy',
    publicationYear: 1968,
    publicationDate: '1968-11-01',
    author: { id: Number, name: 'Ursula K. Le Guin' },
    totalCopies: 3,
    availableCopies: 3,
    averageRating: null,
    reviewCount: 0,
    ownerId: alice.id
  })
  t.same(await copiesOf(app, book.id), { totalCopies: 3, availableCopies: 3, borrowedCopies: 0, setAsideCopies: 0 })
  t.equal(created.headers.location, `/api/books/${book.id}`, 'Location names the new book')

  const fetched = await app.inject({ url: `/api/books/${book.id}` })
  t.equal(fetched.statusCode, 200)
  t.same(fetched.json(), book)

  t.test('the author is found by name case-insensitively, or by id; defaults fill the rest', async (t) => {
    const again = await postBook(app, alice, { author: '  URSULA k. le guin ', isbn: '978-1-4028-9462-6' })
    t.equal(again.author.id, book.author.id, 'same author row')
    t.equal(again.totalCopies, 1)
    t.equal(again.availableCopies, 1)
    t.equal(again.genre, null)
    t.equal(again.publicationDate, null)
    const byId = await postBook(app, alice, { authorId: book.author.id })
    t.same(byId.author, book.author)
    t.equal((await app.db.select({ n: count() }).from(authors).where(sql`lower(${authors.name}) = 'ursula k. le guin'`))[0]?.n, 1, 'no duplicate author')
  })

  t.test('a second active book with the same ISBN is refused', async (t) => {
    const before = await bookCount()
    const response = await app.inject({ method: 'POST', url: '/api/books', headers: alice.headers, payload: { title: 'Copy', isbn: '9780306406157', publicationYear: 1968, authorId: book.author.id } })
    t.equal(response.statusCode, 409)
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(response.json().code, 'ISBN_TAKEN')
    t.equal(await bookCount(), before)
  })
})

t.test('POST /api/books validation and authorisation', async (t) => {
  const alice = await createUser(app)
  const unverified = await createUser(app, { verified: false })
  const valid = { title: 'T', isbn: isbn(), publicationYear: 2001, author: 'Someone' }
  const [booksBefore, authorsBefore] = [await bookCount(), await authorCount()]

  const cases: [string, Record<string, unknown>, string, string?][] = [
    ['bad ISBN checksum', { ...valid, isbn: '9780306406158' }, 'VALIDATION_FAILED', '/body/isbn'],
    ['ISBN with letters', { ...valid, isbn: 'abcdefghij' }, 'VALIDATION_FAILED', '/body/isbn'],
    ['both authorId and author', { ...valid, authorId: 1 }, 'VALIDATION_FAILED', '/body'],
    ['neither authorId nor author', { title: 'T', isbn: isbn(), publicationYear: 2001 }, 'VALIDATION_FAILED', '/body'],
    ['unknown field', { ...valid, ownerId: 99 }, 'VALIDATION_FAILED', '/body/ownerId'],
    ['availableCopies on create', { ...valid, availableCopies: 1 }, 'VALIDATION_FAILED', '/body/availableCopies'],
    ['missing title', { isbn: isbn(), publicationYear: 2001, author: 'A' }, 'VALIDATION_FAILED', '/body/title'],
    ['negative copies', { ...valid, totalCopies: -1 }, 'VALIDATION_FAILED', '/body/totalCopies'],
    ['year out of range', { ...valid, publicationYear: 10000 }, 'VALIDATION_FAILED', '/body/publicationYear'],
    ['bad date', { ...valid, publicationDate: '2001-13-45' }, 'VALIDATION_FAILED', '/body/publicationDate']
  ]
  for (const [name, payload, code, path] of cases) {
    const response = await app.inject({ method: 'POST', url: '/api/books', headers: alice.headers, payload })
    t.equal(response.statusCode, 400, name)
    t.equal(response.json().code, code, name)
    if (path !== undefined) t.ok(response.json().errors.some((error: { path: string }) => error.path === path), `${name}: error at ${path}`)
  }

  const unknownAuthor = await app.inject({ method: 'POST', url: '/api/books', headers: alice.headers, payload: { title: 'T', isbn: isbn(), publicationYear: 2001, authorId: 12345 } })
  t.equal(unknownAuthor.statusCode, 404)
  t.equal(unknownAuthor.json().code, 'NOT_FOUND')

  const anonymous = await app.inject({ method: 'POST', url: '/api/books', payload: valid })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.json().code, 'UNAUTHENTICATED')
  const notVerified = await app.inject({ method: 'POST', url: '/api/books', headers: unverified.headers, payload: valid })
  t.equal(notVerified.statusCode, 403)
  t.equal(notVerified.json().code, 'EMAIL_NOT_VERIFIED')

  t.equal(await bookCount(), booksBefore, 'no refused request stored anything')
  t.equal(await authorCount(), authorsBefore, 'not even an author')
})

t.test('two parallel creates with the same ISBN: one 201, one 409 ISBN_TAKEN', async (t) => {
  const [alice, bob] = await Promise.all([createUser(app), createUser(app)])
  const responses = await Promise.all([alice, bob, alice, bob].map((user, index) => app.inject({
    method: 'POST',
    url: '/api/books',
    headers: user.headers,
    payload: { title: `Racer ${index}`, isbn: index % 2 === 0 ? '978-0-8044-2957-3' : '080442957X', publicationYear: 2000, author: 'Racing Author' }
  })))
  t.same(responses.map((r) => r.statusCode).sort(), [201, 409, 409, 409])
  t.same(responses.filter((r) => r.statusCode === 409).map((r) => r.json().code), ['ISBN_TAKEN', 'ISBN_TAKEN', 'ISBN_TAKEN'])
  t.equal((await app.db.select({ n: count() }).from(books).where(eq(books.isbn, '9780804429573')))[0]?.n, 1)
})

t.test('GET /api/books/:id of an unknown book is 404 NOT_FOUND, of a non-numeric id 400', async (t) => {
  const missing = await app.inject({ url: '/api/books/999' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'NOT_FOUND')
  const bad = await app.inject({ url: '/api/books/abc' })
  t.equal(bad.statusCode, 400)
})

t.test('PUT and PATCH /api/books/:id', async (t) => {
  const [alice, bob, admin] = await Promise.all([createUser(app), createUser(app), createUser(app, { role: 'admin' })])
  const book = await postBook(app, alice, { title: 'Original', genre: 'Drama', publicationDate: '2000-01-02', totalCopies: 2 })

  t.test('the owner patches some fields', async (t) => {
    const renamed = isbn()
    const response = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: alice.headers, payload: { title: 'Renamed', isbn: `${renamed.slice(0, 3)} ${renamed.slice(3, 8)}-${renamed.slice(8)}` } })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { title: 'Renamed', isbn: renamed, genre: 'Drama', publicationDate: '2000-01-02', author: book.author, totalCopies: 2 })
  })

  t.test('the owner replaces the book: fields left out that may be null become null', async (t) => {
    const response = await app.inject({ method: 'PUT', url: `/api/books/${book.id}`, headers: alice.headers, payload: { title: 'Replaced', isbn: book.isbn, publicationYear: 1999, author: 'New Author', totalCopies: 4 } })
    t.equal(response.statusCode, 200)
    t.match(response.json(), { title: 'Replaced', isbn: book.isbn, publicationYear: 1999, genre: null, publicationDate: null, author: { name: 'New Author' }, totalCopies: 4, availableCopies: 4 })
    t.not(response.json().author.id, book.author.id)

    const withoutCopies = await app.inject({ method: 'PUT', url: `/api/books/${book.id}`, headers: alice.headers, payload: { title: 'Replaced again', isbn: book.isbn, publicationYear: 1999, author: 'New Author' } })
    t.equal(withoutCopies.statusCode, 400, 'a replacement states totalCopies')
    t.match(withoutCopies.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/body/totalCopies' }] })
    t.match((await app.inject({ url: `/api/books/${book.id}` })).json(), { title: 'Replaced', totalCopies: 4 }, 'and nothing changed')
  })

  t.test('another user can change nothing (403) and an admin can', async (t) => {
    const before = (await app.inject({ url: `/api/books/${book.id}` })).json()
    for (const [method, payload] of [['PATCH', { title: 'Hijacked' }], ['PUT', { title: 'Hijacked', isbn: book.isbn, publicationYear: 1, author: 'X', totalCopies: 1 }]] as const) {
      const response = await app.inject({ method, url: `/api/books/${book.id}`, headers: bob.headers, payload })
      t.equal(response.statusCode, 403, method)
      t.equal(response.json().code, 'FORBIDDEN')
    }
    const deleted = await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: bob.headers })
    t.equal(deleted.statusCode, 403)
    t.same((await app.inject({ url: `/api/books/${book.id}` })).json(), before, 'unchanged')
    const byAdmin = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: admin.headers, payload: { genre: 'Classics' } })
    t.equal(byAdmin.statusCode, 200)
    t.equal(byAdmin.json().genre, 'Classics')
    t.equal(byAdmin.json().ownerId, alice.id, 'the owner stays')
  })

  t.test('refused bodies change nothing', async (t) => {
    const before = (await app.inject({ url: `/api/books/${book.id}` })).json()
    const cases: [string, 'PUT' | 'PATCH', Record<string, unknown>, number, string][] = [
      ['empty patch', 'PATCH', {}, 400, 'VALIDATION_FAILED'],
      ['unknown field', 'PATCH', { title: 'X', ownerId: bob.id }, 400, 'VALIDATION_FAILED'],
      ['readonly field', 'PATCH', { averageRating: 5 }, 400, 'VALIDATION_FAILED'],
      ['bad isbn', 'PATCH', { isbn: '1234567890' }, 400, 'VALIDATION_FAILED'],
      ['blank title', 'PATCH', { title: '   ' }, 400, 'VALIDATION_FAILED'],
      ['title of the wrong type', 'PATCH', { title: 12345 }, 400, 'VALIDATION_FAILED'],
      ['copies as a string', 'PATCH', { totalCopies: '3' }, 400, 'VALIDATION_FAILED'],
      ['both authors', 'PATCH', { authorId: book.author.id, author: 'Y' }, 400, 'VALIDATION_FAILED'],
      ['incomplete put', 'PUT', { title: 'X' }, 400, 'VALIDATION_FAILED'],
      ['put without author', 'PUT', { title: 'X', isbn: book.isbn, publicationYear: 1, totalCopies: 1 }, 400, 'VALIDATION_FAILED'],
      ['unknown author id', 'PATCH', { authorId: 999999 }, 404, 'NOT_FOUND'],
      ['owner sets availableCopies', 'PATCH', { availableCopies: 0 }, 403, 'FORBIDDEN']
    ]
    for (const [name, method, payload, status, code] of cases) {
      const response = await app.inject({ method, url: `/api/books/${book.id}`, headers: alice.headers, payload })
      t.equal(response.statusCode, status, name)
      t.equal(response.json().code, code, name)
    }
    const other = await postBook(app, alice)
    const taken = await app.inject({ method: 'PATCH', url: `/api/books/${other.id}`, headers: alice.headers, payload: { isbn: before.isbn } })
    t.equal(taken.statusCode, 409)
    t.equal(taken.json().code, 'ISBN_TAKEN')
    t.same((await app.inject({ url: `/api/books/${book.id}` })).json(), before, 'unchanged')
  })

  t.test('unknown books answer 404', async (t) => {
    const patch = await app.inject({ method: 'PATCH', url: '/api/books/99999', headers: admin.headers, payload: { title: 'X' } })
    t.equal(patch.statusCode, 404)
    const del = await app.inject({ method: 'DELETE', url: '/api/books/99999', headers: admin.headers })
    t.equal(del.statusCode, 404)
    const anonymous = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, payload: { title: 'X' } })
    t.equal(anonymous.statusCode, 401)
  })
})

t.test('parallel creates naming the same new author create it once', async (t) => {
  const users = await Promise.all(Array.from({ length: 4 }, () => createUser(app)))
  const responses = await Promise.all(Array.from({ length: 8 }, (_, index) => app.inject({
    method: 'POST',
    url: '/api/books',
    headers: users[index % 4]?.headers ?? {},
    payload: { title: `Parallel ${index}`, isbn: isbn(), publicationYear: 2020, author: index % 2 === 0 ? 'Brand New Author' : 'BRAND NEW AUTHOR' }
  })))
  t.same(responses.map((response) => response.statusCode), Array(8).fill(201))
  t.equal(new Set(responses.map((response) => response.json().author.id)).size, 1, 'one author for all')
  const named = async (name: string) => (await app.db.select({ n: count() }).from(authors).where(eq(authors.name, name)))[0]?.n
  t.equal(await named('Brand New Author'), 1)
  const renamed = await Promise.all(responses.slice(0, 4).map((response, index) => app.inject({
    method: 'PATCH',
    url: `/api/books/${response.json().id}`,
    headers: users[index % 4]?.headers ?? {},
    payload: { author: 'Another New One' }
  })))
  t.same(renamed.map((response) => response.statusCode), [200, 200, 200, 200])
  t.equal(await named('Another New One'), 1, 'PATCH finds or creates once too')
})
