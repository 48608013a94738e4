import t from 'tap'
import { build, createUser, postBook } from '../../helpers/index.js'
import { testEnvOverrides } from './fixtures.js'

const app = await build(t, { env: testEnvOverrides })

const astral = ['Emoji 😀', '𠜎𠜱𠝹 Rare CJK', '𝔉𝔯𝔞𝔨𝔱𝔲𝔯']

t.test('an author name outside the Basic Multilingual Plane creates, replaces and patches books, and is found again by name', async (t) => {
  const user = await createUser(app)
  for (const name of astral) {
    const created = await postBook(app, user, { author: name, title: `${name} — a title with e\u0301 and 🦄` })
    t.equal(created.author.name, name, `POST keeps ${name}`)
    const again = await postBook(app, user, { author: name.toUpperCase() })
    t.equal(again.author.id, created.author.id, `${name} in other case is the same author`)
    const put = await app.inject({ method: 'PUT', url: `/api/books/${created.id}`, headers: user.headers, payload: { title: 'Replaced 📚', isbn: created.isbn, publicationYear: 2001, author: `${name} II`, totalCopies: 1 } })
    t.equal(put.statusCode, 200, `PUT with ${name} II`)
    const patched = await app.inject({ method: 'PATCH', url: `/api/books/${created.id}`, headers: user.headers, payload: { author: name } })
    t.equal(patched.statusCode, 200, `PATCH with ${name}`)
    t.equal(patched.json().author.id, created.author.id, 'PATCH finds the existing author')
  }
})

t.test('an author added through POST /api/authors under an astral name is found by that name', async (t) => {
  const [admin, user] = [await createUser(app, { role: 'admin' }), await createUser(app)]
  for (const name of astral.map((base) => `${base} by hand`)) {
    const created = await app.inject({ method: 'POST', url: '/api/authors', headers: admin.headers, payload: { name } })
    t.equal(created.statusCode, 201, `POST /api/authors with ${name}`)
    const author = created.json<{ id: number, name: string }>()
    t.equal(author.name, name)
    const book = await postBook(app, user, { author: name })
    t.equal(book.author.id, author.id, 'a book naming the author gets that author, not a second one')
    const found = await app.inject(`/api/authors?q=${encodeURIComponent(name)}`)
    t.same(found.json().items.map((item: { id: number }) => item.id), [author.id], `?q= finds ${name}`)
  }
})

t.test('two authors whose names differ only in an emoji stay two authors', async (t) => {
  const user = await createUser(app)
  const smiling = await postBook(app, user, { author: 'Twin 😀' })
  const grinning = await postBook(app, user, { author: 'Twin 😁' })
  t.not(grinning.author.id, smiling.author.id)
  t.equal(grinning.author.name, 'Twin 😁')
})

t.test('control characters in a title, an author, a genre or an author name are 400 VALIDATION_FAILED and store nothing', async (t) => {
  const user = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const book = await postBook(app, user)
  for (const bad of ['Nul\u0000byte', 'Bell\u0007', 'ANSI \u001b[31mred', 'C1\u0085next', 'Tab\there', 'Line\nbreak', 'DEL\u007f']) {
    const requests = [
      app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: { title: bad, isbn: '9780306406157', publicationYear: 2000, author: 'Fine' } }),
      app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: { title: 'Fine', isbn: '9780306406157', publicationYear: 2000, author: bad } }),
      app.inject({ method: 'PUT', url: `/api/books/${book.id}`, headers: user.headers, payload: { title: bad, isbn: book.isbn, publicationYear: 2000, author: 'Fine' } }),
      app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: user.headers, payload: { title: bad } }),
      app.inject({ method: 'PATCH', url: `/api/books/${book.id}`, headers: user.headers, payload: { genre: bad } }),
      app.inject({ method: 'POST', url: '/api/authors', headers: admin.headers, payload: { name: bad } })
    ]
    for (const response of await Promise.all(requests)) {
      t.equal(response.statusCode, 400, JSON.stringify(bad))
      t.equal(response.json().code, 'VALIDATION_FAILED')
    }
  }
  const unchanged = await app.inject({ url: `/api/books/${book.id}` })
  t.match(unchanged.json(), { title: book.title, genre: book.genre })
})

t.test('a review comment keeps tab and line breaks but refuses other control characters', async (t) => {
  const user = await createUser(app)
  const [first, second] = [await postBook(app, user), await postBook(app, user)]
  const fine = await app.inject({ method: 'POST', url: `/api/books/${first.id}/reviews`, headers: user.headers, payload: { rating: 5, comment: 'Great\tbook\r\nwith 😀 and e\u0301' } })
  t.equal(fine.statusCode, 201)
  t.equal(fine.json().comment, 'Great\tbook\r\nwith 😀 and e\u0301')
  const bad = await app.inject({ method: 'POST', url: `/api/books/${second.id}/reviews`, headers: user.headers, payload: { rating: 5, comment: 'Nul\u0000' } })
  t.equal(bad.statusCode, 400)
})
