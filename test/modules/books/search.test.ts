import t from 'tap'
import type { BookView } from '../../../src/modules/catalogue/index.js'
import { build, createUser, postBook } from '../../helpers/index.js'
import { testEnvOverrides } from './fixtures.js'

t.test('search by words of the title and the author name', async (t) => {
  const app = await build(t, { env: testEnvOverrides })
  const [owner, admin] = await Promise.all([createUser(app), createUser(app, { role: 'admin' })])
  const hobbit = await postBook(app, owner, { title: 'The Hobbit', author: 'J. R. R. Tolkien' })
  const rings = await postBook(app, owner, { title: 'The Lord of the Rings', author: 'J. R. R. Tolkien' })
  const soledad = await postBook(app, owner, { title: 'Cien años de soledad', author: 'Gabriel García Márquez' })
  const it = await postBook(app, owner, { title: 'It', author: 'Stephen King' })
  const italy = await postBook(app, owner, { title: 'Italian Journey', author: 'Johann Wolfgang von Goethe' })

  const search = async (q: string, extra = '') => {
    const response = await app.inject({ url: `/api/books?q=${encodeURIComponent(q)}${extra}` })
    t.equal(response.statusCode, 200, `q=${q}`)
    return response.json<{ items: BookView[], total: number }>()
  }
  const ids = async (q: string, extra = '') => (await search(q, extra)).items.map((book) => book.id)

  t.test('every word must start a word of the title or the author name', async (t) => {
    t.same(await ids('tolk hobb'), [hobbit.id], '`tolk hobb` finds The Hobbit by J. R. R. Tolkien')
    t.same(await ids('tolkien', '&sort=title'), [hobbit.id, rings.id], 'the author alone finds both')
    t.same(await ids('the hobbit'), [hobbit.id], 'common words such as "the" are words too')
    t.same(await ids('olkien'), [], 'the middle of a word is not the start of one')
    t.same(await ids('MARQUEZ AÑOS'), [soledad.id], 'case and accents are ignored (Márquez, años)')
    t.same(await ids('garcia anos soledad cien'), [soledad.id])
  })

  t.test('one- and two-letter words narrow a longer word’s matches; alone they start longer words', async (t) => {
    t.same(await ids('j r r tolkien', '&sort=title'), [hobbit.id, rings.id])
    t.same(await ids('hobbit x'), [], 'no word starting with x')
    t.same(await ids('it king'), [it.id])
    t.same(await ids('it'), [italy.id], 'a short word alone is a prefix of the indexed (longer) words')
  })

  t.test('operators and quotes are just text', async (t) => {
    for (const q of ['"the hobbit"', '+hobbit -tolkien', 'hobb* (', '~tolkien', 'tolkien@2', '<hobbit>', '%_', 'hobbit"', 'Tolkien\'s hobbit', '+tolkien +-><()~*:""&|@']) {
      const { items } = await search(q)
      t.ok(items.every((book) => [hobbit.id, rings.id].includes(book.id)), `${q}: only what its words find`)
    }
    t.same(await ids('+hobbit -tolkien'), [hobbit.id], 'a minus excludes nothing')
    for (const q of ["'", '"', '\\', '()*~"', '+-><()~*:""&|@']) {
      t.equal((await search(q)).total, 5, `${q}: a q without a word is no filter, as an empty one`)
    }
  })

  t.test('best matches first, then by id; other sorts still apply', async (t) => {
    const river = await postBook(app, owner, { title: 'River', author: 'Ann Author' })
    const rivers = await postBook(app, owner, { title: 'River River River', author: 'Ann Author' })
    const twin = await postBook(app, owner, { title: 'River', author: 'Ann Author' })
    t.same(await ids('river'), [rivers.id, river.id, twin.id], 'more occurrences score higher; ties by id')
    t.same(await ids('river', '&sort=relevance'), [rivers.id, river.id, twin.id])
    t.same(await ids('river', '&sort=-createdAt'), [twin.id, rivers.id, river.id].sort((a, b) => b - a))
    const pages = await Promise.all([1, 2, 3].map(async (page) => ids('river', `&pageSize=1&page=${page}`)))
    t.same(pages.flat(), [rivers.id, river.id, twin.id], 'relevance pages add up')
    const past = await search('river', '&page=9')
    t.same([past.items, past.total], [[], 3], 'past the end: no items, the total still right')
  })

  t.test('a new book, a renamed author and a changed author are found at once', async (t) => {
    const fresh = await postBook(app, owner, { title: 'Silmarillion', author: 'J. R. R. Tolkien' })
    t.same(await ids('silmar'), [fresh.id])
    const renamed = await app.inject({ method: 'PATCH', url: `/api/authors/${hobbit.author.id}`, headers: admin.headers, payload: { name: 'Professor Tolkien' } })
    t.equal(renamed.statusCode, 200)
    t.same(await ids('professor hobbit'), [hobbit.id], 'the new name')
    t.same(await ids('j r r hobbit'), [], 'the old initials are gone')
    const moved = await app.inject({ method: 'PATCH', url: `/api/books/${it.id}`, headers: owner.headers, payload: { authorId: soledad.author.id } })
    t.equal(moved.statusCode, 200)
    t.same(await ids('marquez it'), [it.id])
    t.same(await ids('king'), [])
  })
})
