import { count, eq } from 'drizzle-orm'
import t from 'tap'
import { authors, books } from '../../../src/db/schema/index.js'
import { build, createUser, postBook } from '../../helpers/index.js'
import { testEnvOverrides } from '../books/fixtures.js'

t.test('authors: public reads, admin writes', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [admin, alice] = await Promise.all([createUser(app, { role: 'admin' }), createUser(app)])
  const authorCount = async () => (await app.db.select({ n: count() }).from(authors))[0]?.n

  const created = await app.inject({ method: 'POST', url: '/api/authors', headers: admin.headers, payload: { name: ' Octavia E. Butler ', birthdate: '1947-06-22', nationality: 'American' } })
  t.equal(created.statusCode, 201)
  const octavia = created.json()
  t.same(octavia, { id: octavia.id, name: 'Octavia E. Butler', birthdate: '1947-06-22', nationality: 'American', bookCount: 0 })
  t.equal(created.headers.location, `/api/authors/${octavia.id}`, 'Location names the new author')

  t.test('only admins write; refused requests change nothing', async (t) => {
    const before = await authorCount()
    const cases: [string, string, Record<string, unknown> | undefined, { authorization: string } | undefined, number, string][] = [
      ['POST', '/api/authors', { name: 'X' }, alice.headers, 403, 'FORBIDDEN'],
      ['POST', '/api/authors', { name: 'X' }, undefined, 401, 'UNAUTHENTICATED'],
      ['PUT', `/api/authors/${octavia.id}`, { name: 'X' }, alice.headers, 403, 'FORBIDDEN'],
      ['PATCH', `/api/authors/${octavia.id}`, { name: 'X' }, alice.headers, 403, 'FORBIDDEN'],
      ['DELETE', `/api/authors/${octavia.id}`, undefined, alice.headers, 403, 'FORBIDDEN'],
      ['POST', '/api/authors', { name: 'X', bookCount: 3 }, admin.headers, 400, 'VALIDATION_FAILED'],
      ['POST', '/api/authors', { name: '' }, admin.headers, 400, 'VALIDATION_FAILED'],
      ['POST', '/api/authors', { name: '   ' }, admin.headers, 400, 'VALIDATION_FAILED'],
      ['POST', '/api/authors', { name: 'X', birthdate: 'yesterday' }, admin.headers, 400, 'VALIDATION_FAILED'],
      ['PATCH', `/api/authors/${octavia.id}`, {}, admin.headers, 400, 'VALIDATION_FAILED'],
      ['PATCH', `/api/authors/${octavia.id}`, { id: 5 }, admin.headers, 400, 'VALIDATION_FAILED'],
      ['PUT', `/api/authors/${octavia.id}`, { nationality: 'X' }, admin.headers, 400, 'VALIDATION_FAILED'],
      ['PATCH', '/api/authors/9999', { name: 'X' }, admin.headers, 404, 'NOT_FOUND'],
      ['PUT', '/api/authors/9999', { name: 'X' }, admin.headers, 404, 'NOT_FOUND'],
      ['DELETE', '/api/authors/9999', undefined, admin.headers, 404, 'NOT_FOUND']
    ]
    for (const [method, url, payload, headers, status, code] of cases) {
      const response = await app.inject({ method: method as 'POST', url, ...(payload === undefined ? {} : { payload }), ...(headers === undefined ? {} : { headers }) })
      t.equal(response.statusCode, status, `${method} ${url} ${JSON.stringify(payload)}`)
      t.equal(response.json().code, code)
    }
    t.equal(await authorCount(), before)
    t.same((await app.inject({ url: `/api/authors/${octavia.id}` })).json(), octavia, 'unchanged')
  })

  t.test('PATCH changes some fields, PUT replaces', async (t) => {
    const patched = await app.inject({ method: 'PATCH', url: `/api/authors/${octavia.id}`, headers: admin.headers, payload: { nationality: 'US' } })
    t.equal(patched.statusCode, 200)
    t.same(patched.json(), { ...octavia, nationality: 'US' })
    const same = await app.inject({ method: 'PATCH', url: `/api/authors/${octavia.id}`, headers: admin.headers, payload: { nationality: 'US' } })
    t.equal(same.statusCode, 200, 'an unchanged value is not a 404')
    const replaced = await app.inject({ method: 'PUT', url: `/api/authors/${octavia.id}`, headers: admin.headers, payload: { name: 'Octavia Butler' } })
    t.equal(replaced.statusCode, 200)
    t.same(replaced.json(), { id: octavia.id, name: 'Octavia Butler', birthdate: null, nationality: null, bookCount: 0 })
  })

  t.test('GET by id', async (t) => {
    t.equal((await app.inject({ url: '/api/authors/9999' })).statusCode, 404)
    t.equal((await app.inject({ url: '/api/authors/x' })).statusCode, 400)
  })

  t.test('bookCount counts active books; delete is refused while any book references the author', async (t) => {
    const book = await postBook(app, alice, { authorId: octavia.id })
    const gone = await postBook(app, alice, { authorId: octavia.id })
    t.equal((await app.inject({ method: 'DELETE', url: `/api/books/${gone.id}`, headers: alice.headers })).statusCode, 204)
    t.equal((await app.inject({ url: `/api/authors/${octavia.id}` })).json().bookCount, 1, 'the deleted book is not counted')

    let refused = await app.inject({ method: 'DELETE', url: `/api/authors/${octavia.id}`, headers: admin.headers })
    t.equal(refused.statusCode, 409)
    t.equal(refused.json().code, 'AUTHOR_HAS_BOOKS')

    await app.db.update(books).set({ deletedAt: new Date() }).where(eq(books.id, book.id))
    t.equal((await app.inject({ url: `/api/authors/${octavia.id}` })).json().bookCount, 0)
    refused = await app.inject({ method: 'DELETE', url: `/api/authors/${octavia.id}`, headers: admin.headers })
    t.equal(refused.statusCode, 409, 'soft-deleted books still reference the author')
    t.equal(refused.json().code, 'AUTHOR_HAS_BOOKS')
    t.equal((await app.inject({ url: `/api/authors/${octavia.id}` })).statusCode, 200, 'still there')

    const lonely = (await app.inject({ method: 'POST', url: '/api/authors', headers: admin.headers, payload: { name: 'Nobody Yet' } })).json()
    const deleted = await app.inject({ method: 'DELETE', url: `/api/authors/${lonely.id}`, headers: admin.headers })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.body, '')
    t.equal((await app.inject({ url: `/api/authors/${lonely.id}` })).statusCode, 404)
  })
})

t.test('GET /api/authors: paginated by name, q filter, bookCount per author', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, admin] = await Promise.all([createUser(app), createUser(app, { role: 'admin' })])
  const names = ['Zadie Smith', 'Anne Carson', 'Kazuo Ishiguro', 'Ann Patchett', 'Italo Calvino', 'Annie Ernaux', 'Jorge Luis Borges', '50% Author']
  for (const [index, name] of names.entries()) {
    const author = (await app.inject({ method: 'POST', url: '/api/authors', headers: admin.headers, payload: { name } })).json()
    for (let copy = 0; copy < index % 3; copy++) await postBook(app, alice, { authorId: author.id })
  }
  const rows = await app.db.select({ id: authors.id, name: authors.name }).from(authors)
  const bookCounts = new Map(rows.map((row) => [row.id, names.indexOf(row.name) % 3]))
  const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name, 'en') || a.id - b.id)

  const first = await app.inject({ url: '/api/authors?pageSize=5' })
  t.equal(first.statusCode, 200)
  const second = await app.inject({ url: '/api/authors?pageSize=5&page=2' })
  const listed = [...first.json().items, ...second.json().items]
  t.match(first.json(), { page: 1, pageSize: 5, total: names.length, totalPages: 2 })
  t.same(listed.map((author: { id: number }) => author.id), sorted.map((row) => row.id), 'sorted by name')
  for (const author of listed) t.equal(author.bookCount, bookCounts.get(author.id), `${author.name}: bookCount`)

  const anns = await app.inject({ url: '/api/authors?q=ANN' })
  t.same(anns.json().items.map((author: { name: string }) => author.name), ['Ann Patchett', 'Anne Carson', 'Annie Ernaux'])
  t.same((await app.inject({ url: '/api/authors?q=%25' })).json().items.map((author: { name: string }) => author.name), ['50% Author'], '% is literal')
  t.equal((await app.inject({ url: '/api/authors?pageSize=101' })).statusCode, 400)
})

t.test('GET /api/authors/:id sends an ETag; If-None-Match → 304 until the author or its book count changes', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [admin, alice] = await Promise.all([createUser(app, { role: 'admin' }), createUser(app)])
  const created = (await app.inject({ method: 'POST', url: '/api/authors', headers: admin.headers, payload: { name: 'N. K. Jemisin' } })).json()
  const url = `/api/authors/${created.id}`
  const etag = String((await app.inject({ url })).headers.etag)
  t.match(etag, /^"[0-9a-z]+\.0"$/)
  const cached = await app.inject({ url, headers: { 'if-none-match': etag } })
  t.equal(cached.statusCode, 304)
  t.equal(cached.body, '')

  await postBook(app, alice, { authorId: created.id })
  const afterBook = await app.inject({ url, headers: { 'if-none-match': etag } })
  t.equal(afterBook.statusCode, 200, 'a new book of the author changes bookCount, and the ETag')
  t.equal(afterBook.json().bookCount, 1)
  await app.inject({ method: 'PATCH', url, headers: admin.headers, payload: { nationality: 'American' } })
  const afterEdit = await app.inject({ url, headers: { 'if-none-match': String(afterBook.headers.etag) } })
  t.equal(afterEdit.statusCode, 200, 'an edit changes the ETag')
  t.equal(afterEdit.json().nationality, 'American')
})
