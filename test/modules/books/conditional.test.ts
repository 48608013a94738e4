import t from 'tap'
import { build, createUser, postBook } from '../../helpers/index.js'

t.test('GET /api/books/:id sends an ETag; If-None-Match with it → 304 until the book changes', async (t) => {
  const app = await build(t)
  const [alice, reader, admin] = await Promise.all([createUser(app), createUser(app), createUser(app, { role: 'admin' })])
  const book = await postBook(app, alice, { totalCopies: 2 })

  const first = await app.inject({ url: `/api/books/${book.id}` })
  const etag = String(first.headers.etag)
  t.match(etag, /^"[0-9]+\.[0-9a-z]+"$/, 'a strong ETag')
  const cached = await app.inject({ url: `/api/books/${book.id}`, headers: { 'if-none-match': etag } })
  t.equal(cached.statusCode, 304)
  t.equal(cached.body, '', 'no body')
  t.equal(cached.headers.etag, etag)
  t.equal((await app.inject({ url: `/api/books/${book.id}`, headers: { 'if-none-match': `W/${etag}` } })).statusCode, 304, 'compared weakly')

  const seen = new Set([etag])
  const changes: [string, () => Promise<unknown>][] = [
    ['an edit', () => app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: alice.headers, payload: { title: 'Edited' } })],
    ['a borrow (availableCopies moves)', () => app.inject({ method: 'POST', url: '/api/borrows', headers: reader.headers, payload: { bookId: book.id } })],
    ['a review (averageRating moves)', () => app.inject({ method: 'POST', url: `/api/books/${book.id}/reviews`, headers: reader.headers, payload: { rating: 4 } })],
    ['a rename of its author', () => app.inject({ method: 'PATCH', url: `/api/authors/${book.author.id}`, headers: admin.headers, payload: { name: 'Renamed Author' } })]
  ]
  for (const [what, change] of changes) {
    const before = await app.inject({ url: `/api/books/${book.id}` })
    await change()
    const after = await app.inject({ url: `/api/books/${book.id}`, headers: { 'if-none-match': String(before.headers.etag) } })
    t.equal(after.statusCode, 200, `${what}: the old ETag no longer matches`)
    t.notOk(seen.has(String(after.headers.etag)), `${what}: a new ETag`)
    seen.add(String(after.headers.etag))
  }
  t.match((await app.inject({ url: `/api/books/${book.id}` })).json(), { title: 'Edited', availableCopies: 1, reviewCount: 1, author: { name: 'Renamed Author' } })
})

t.test('If-Match: of two editors holding the same ETag, the second gets 412 and the first one’s change stays', async (t) => {
  const app = await build(t)
  const [alice, admin] = await Promise.all([createUser(app), createUser(app, { role: 'admin' })])
  const book = await postBook(app, alice, { title: 'Original', totalCopies: 2 })
  const read = await app.inject({ url: `/api/books/${book.id}` })
  const etag = String(read.headers.etag)

  const firstEdit = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': etag }, payload: { title: 'First editor' } })
  t.equal(firstEdit.statusCode, 200)
  t.not(firstEdit.headers.etag, etag, 'the answer carries the new ETag')

  const secondEdit = await app.inject({
    method: 'PUT',
    url: `/api/books/${book.id}`,
    headers: { ...admin.headers, 'if-match': etag },
    payload: { title: 'Second editor', isbn: book.isbn, publicationYear: 2000, authorId: book.author.id, totalCopies: 5 }
  })
  t.equal(secondEdit.statusCode, 412)
  t.equal(secondEdit.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(secondEdit.json(), { status: 412, code: 'PRECONDITION_FAILED' })
  const secondPatch = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: { ...admin.headers, 'if-match': etag }, payload: { totalCopies: 9 } })
  t.equal(secondPatch.statusCode, 412, 'PATCH too')
  const stale = await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': etag } })
  t.equal(stale.statusCode, 412, 'DELETE too')

  const now = await app.inject({ url: `/api/books/${book.id}` })
  t.match(now.json(), { title: 'First editor', totalCopies: 2 }, 'the first editor’s change, nothing of the refused ones')
  t.equal(now.headers.etag, firstEdit.headers.etag, 'and the refused writes did not move the ETag')

  const weak = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': `W/${String(now.headers.etag)}` }, payload: { title: 'Weak' } })
  t.equal(weak.statusCode, 412, 'If-Match compares strongly: a weak tag never matches')
  const any = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': '*' }, payload: { title: 'Any' } })
  t.equal(any.statusCode, 200, '* matches any current book')
  const current = String(any.headers.etag)
  const listed = await app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': `"1.zz", ${current}` }, payload: { title: 'Listed' } })
  t.equal(listed.statusCode, 200, 'one of a list is enough')

  const deleted = await app.inject({ method: 'DELETE', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': String(listed.headers.etag) } })
  t.equal(deleted.statusCode, 204, 'the current ETag deletes')
})

t.test('two editors racing with the same ETag: exactly one write lands', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const book = await postBook(app, alice)
  const etag = String((await app.inject({ url: `/api/books/${book.id}` })).headers.etag)
  const titles = ['Racer 1', 'Racer 2', 'Racer 3', 'Racer 4']
  const answers = await Promise.all(titles.map((title) =>
    app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: { ...alice.headers, 'if-match': etag }, payload: { title } })))
  const statuses = answers.map((answer) => answer.statusCode).sort()
  t.same(statuses, [200, 412, 412, 412])
  const winner = answers.find((answer) => answer.statusCode === 200)?.json().title
  t.equal((await app.inject({ url: `/api/books/${book.id}` })).json().title, winner)
})
