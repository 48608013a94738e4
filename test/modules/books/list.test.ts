import { eq, isNull } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { authors, books } from '../../../src/db/schema/index.js'
import type { BookView } from '../../../src/modules/catalogue/index.js'
import { build, createUser, postBook } from '../../helpers/index.js'
import { testEnvOverrides } from './fixtures.js'

interface Expected {
  id: number
  title: string
  genre: string | null
  publicationYear: number
  availableCopies: number
  authorId: number
  authorName: string
  ownerId: number
  createdAt: Date
  averageRating: number | null
}

type Compare = (a: Expected, b: Expected) => number
const byId: Compare = (a, b) => a.id - b.id
const then = (...compares: Compare[]): Compare => (a, b) => {
  for (const compare of compares) {
    const result = compare(a, b)
    if (result !== 0) return result
  }
  return 0
}
const reverse = (compare: Compare): Compare => (a, b) => compare(b, a)
const byTitle: Compare = (a, b) => a.title < b.title ? -1 : a.title > b.title ? 1 : 0
const byYear: Compare = (a, b) => a.publicationYear - b.publicationYear
const byCreated: Compare = (a, b) => a.createdAt.getTime() - b.createdAt.getTime()
const unratedLast: Compare = (a, b) => Number(a.averageRating === null) - Number(b.averageRating === null)
const byRating: Compare = (a, b) => (a.averageRating ?? 0) - (b.averageRating ?? 0)

const expectedOrders: Record<string, Compare> = {
  title: then(byTitle, byId),
  '-title': reverse(then(byTitle, byId)),
  publicationYear: then(byYear, byId),
  '-publicationYear': reverse(then(byYear, byId)),
  createdAt: then(byCreated, byId),
  '-createdAt': reverse(then(byCreated, byId)),
  rating: then(unratedLast, byRating, byId),
  '-rating': then(unratedLast, reverse(then(byRating, byId)))
}

t.test('listing, filtering and sorting a few dozen books', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [alice, bob] = await Promise.all([createUser(app), createUser(app)])
  const authorNames = ['Alpha Writer', 'Beta Poet', 'Gamma Novelist']
  const letters = 'ABCDEFGHIJKL'
  const genres = ['Fantasy', 'Horror', null]
  const base = Date.parse('2024-01-01T00:00:00Z')

  await Promise.all(Array.from({ length: 36 }, async (_, i) => {
    const book = await postBook(app, i % 2 === 0 ? alice : bob, {
      title: i === 35 ? '100% Pure_Fiction' : `Book ${letters[(i * 7) % 12]}`,
      author: authorNames[i % 3],
      genre: genres[i % 3],
      publicationYear: 1990 + ((i * 5) % 17),
      totalCopies: i % 4
    })
    const reviewCount = i % 5 === 0 ? 0 : 1 + (i % 3)
    await app.db.update(books).set({
      createdAt: new Date(base + (i % 9) * 60_000),
      reviewCount,
      ratingSum: reviewCount + (i % (4 * reviewCount + 1))
    }).where(eq(books.id, book.id))
  }))
  const gone = await postBook(app, alice, { title: 'Book A deleted', author: 'Beta Poet', genre: 'Fantasy', totalCopies: 3 })
  await app.db.update(books).set({ deletedAt: new Date() }).where(eq(books.id, gone.id))

  const all: Expected[] = await app.db.select({
    id: books.id,
    title: books.title,
    genre: books.genre,
    publicationYear: books.publicationYear,
    availableCopies: books.availableCopies,
    authorId: books.authorId,
    authorName: authors.name,
    ownerId: books.ownerId,
    createdAt: books.createdAt,
    averageRating: books.averageRating
  }).from(books).innerJoin(authors, eq(authors.id, books.authorId)).where(isNull(books.deletedAt))
  t.equal(all.length, 36)
  t.ok(all.some((book) => book.averageRating === null) && all.some((book) => book.averageRating !== null), 'rated and unrated books')

  /** Every page of a listing, with pages of 7, concatenated. */
  async function fetchAll (query: string, headers?: { authorization: string }, url = '/api/books') {
    const ids: number[] = []
    let total = -1
    for (let page = 1; ; page++) {
      const response = await app.inject({ url: `${url}?pageSize=7&page=${page}${query === '' ? '' : `&${query}`}`, ...(headers === undefined ? {} : { headers }) })
      if (response.statusCode !== 200) throw new Error(`${query}: ${response.statusCode} ${response.body}`)
      const body = response.json<{ items: BookView[], total: number, totalPages: number, page: number, pageSize: number }>()
      total = body.total
      t.equal(body.totalPages, Math.ceil(body.total / 7))
      ids.push(...body.items.map((item) => item.id))
      if (page >= body.totalPages) break
    }
    t.equal(ids.length, total, `${query}: the pages add up to the total`)
    return ids
  }

  t.test('each sort matches the order computed here, across pages', async (t) => {
    for (const [sort, compare] of Object.entries(expectedOrders)) {
      t.same(await fetchAll(`sort=${sort}`), [...all].sort(compare).map((book) => book.id), sort)
    }
    t.same(await fetchAll(''), [...all].sort(expectedOrders['-createdAt']).map((book) => book.id), 'default: -createdAt')
  })

  const expectIds = (filter: (book: Expected) => boolean, sort = '-createdAt') =>
    all.filter(filter).sort(expectedOrders[sort]).map((book) => book.id)
  const expectFiltered = async (t: Test, cases: Array<[string, (book: Expected) => boolean]>) => {
    // With `q` the default order is relevance; these compare the matched set in the default order.
    for (const [query, filter] of cases) t.same(await fetchAll(query.includes('q=') ? `${query}&sort=-createdAt` : query), expectIds(filter), query)
  }
  // Word-prefix search, computed here independently: each word starts a word of the title or author name.
  const hasWords = (book: Expected, ...words: string[]) =>
    words.every((word) => new RegExp(`(^|[^\\p{L}\\p{N}_])${word}`, 'iu').test(`${book.title} ${book.authorName}`))

  t.test('q: each word starts a word of the title or author name, case-insensitively; other characters only separate words', async (t) => {
    await expectFiltered(t, [
      ['q=beta', (book) => book.authorName === 'Beta Poet'],
      ['q=BOOK%20c', (book) => book.title === 'Book C'],
      ['q=writ%20boo', (book) => hasWords(book, 'writ', 'boo')],
      ['q=pure_fic', (book) => book.title === '100% Pure_Fiction'],
      ['q=100', (book) => book.title === '100% Pure_Fiction'],
      ['q=%25', () => true],
      ['q=ook', () => false],
      ['q=zzz', () => false]
    ])
  })

  t.test('genre and authorId keep only the books of that genre or author', async (t) => {
    const beta = all.find((book) => book.authorName === 'Beta Poet')?.authorId
    await expectFiltered(t, [
      ['genre=Fantasy', (book) => book.genre === 'Fantasy'],
      [`authorId=${beta}`, (book) => book.authorId === beta]
    ])
  })

  t.test('yearFrom and yearTo bound the publication year inclusively, alone or together', async (t) => {
    await expectFiltered(t, [
      ['yearFrom=1995', (book) => book.publicationYear >= 1995],
      ['yearTo=1995', (book) => book.publicationYear <= 1995],
      ['yearFrom=1993&yearTo=1997', (book) => book.publicationYear >= 1993 && book.publicationYear <= 1997]
    ])
  })

  t.test('available=true keeps the books with a copy on the shelf, available=false the others', async (t) => {
    await expectFiltered(t, [
      ['available=true', (book) => book.availableCopies > 0],
      ['available=false', (book) => book.availableCopies === 0]
    ])
  })

  t.test('filters combine with each other and with a sort', async (t) => {
    await expectFiltered(t, [
      ['genre=Horror&available=true&yearFrom=1992&q=book', (book) => book.genre === 'Horror' && book.availableCopies > 0 && book.publicationYear >= 1992 && hasWords(book, 'book')]
    ])
    t.same(await fetchAll('genre=Fantasy&sort=-rating'), expectIds((book) => book.genre === 'Fantasy', '-rating'), 'filter and sort')
  })

  t.test('GET /api/me/books lists only the caller’s books, with the same filters', async (t) => {
    t.same(await fetchAll('sort=title', alice.headers, '/api/me/books'), all.filter((book) => book.ownerId === alice.id).sort(expectedOrders.title).map((book) => book.id))
    t.same(await fetchAll('genre=Horror', bob.headers, '/api/me/books'), all.filter((book) => book.ownerId === bob.id && book.genre === 'Horror').sort(expectedOrders['-createdAt']).map((book) => book.id))
    const anonymous = await app.inject({ url: '/api/me/books' })
    t.equal(anonymous.statusCode, 401)
  })

  t.test('the envelope and its bounds', async (t) => {
    const response = await app.inject({ url: '/api/books?page=2&pageSize=10&sort=title' })
    const body = response.json()
    t.match(body, { page: 2, pageSize: 10, total: 36, totalPages: 4 })
    t.equal(body.items.length, 10)
    t.same((await app.inject({ url: '/api/books/?page=9' })).json().items, [], 'past the end: empty page; trailing slash ignored')
    for (const query of ['pageSize=101', 'pageSize=0', 'page=0', 'sort=price', 'yearFrom=abc', 'available=maybe', 'authorId=0']) {
      const refused = await app.inject({ url: `/api/books?${query}` })
      t.equal(refused.statusCode, 400, query)
      t.equal(refused.json().code, 'VALIDATION_FAILED', query)
    }
  })

  t.test('empty query parameters count as absent, as a filter form sends them', async (t) => {
    const plain = (await app.inject({ url: '/api/books' })).json()
    const blank = await app.inject({ url: '/api/books?q=&genre=&authorId=&yearFrom=&available=&sort=&page=&pageSize=' })
    t.equal(blank.statusCode, 200)
    t.same(blank.json(), plain)
    const mixed = await app.inject({ url: '/api/books?q=&pageSize=5&genre=' })
    t.match(mixed.json(), { pageSize: 5, total: plain.total })
    const pollution = await app.inject({ url: '/api/books?__proto__=x&__proto__=y&constructor=z' })
    t.equal(pollution.statusCode, 200, 'odd keys are unknown parameters, ignored like any other')
  })

  t.test('GET /api/books/available-by-genre', async (t) => {
    const response = await app.inject({ url: '/api/books/available-by-genre' })
    t.equal(response.statusCode, 200)
    const onShelf = all.filter((book) => book.availableCopies > 0)
    const expected = ['Fantasy', 'Horror', null].map((genre) => {
      const shelf = onShelf.filter((book) => book.genre === genre).sort(expectedOrders.title)
      return {
        genre,
        availableCopies: shelf.reduce((sum, book) => sum + book.availableCopies, 0),
        books: shelf.map((book) => ({ id: book.id, title: book.title, author: { id: book.authorId, name: book.authorName }, availableCopies: book.availableCopies }))
      }
    })
    t.same(response.json(), expected)
  })
})

t.test('available-by-genre: genres compare as the genre filter does (case-insensitively); no genre last', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const alice = await createUser(app)
  const a = await postBook(app, alice, { title: 'A', genre: 'Sci-Fi', totalCopies: 2 })
  const b = await postBook(app, alice, { title: 'B', genre: 'sci-fi', totalCopies: 3 })
  const c = await postBook(app, alice, { title: 'C', totalCopies: 1 })
  await postBook(app, alice, { title: 'D', genre: 'Sci-Fi', totalCopies: 0 })
  const shelves = (await app.inject({ url: '/api/books/available-by-genre' })).json()
  t.equal(shelves.length, 2)
  t.match(shelves[0], { genre: /^sci-fi$/i, availableCopies: 5 })
  t.same(shelves[0].books.map((book: { id: number }) => book.id), [a.id, b.id], 'books on the shelf only, by title')
  t.same(shelves[1], { genre: null, availableCopies: 1, books: [{ id: c.id, title: 'C', author: c.author, availableCopies: 1 }] })
  t.equal((await app.inject({ url: '/api/books?genre=SCI-FI' })).json().total, 3, 'the genre filter agrees')
})
