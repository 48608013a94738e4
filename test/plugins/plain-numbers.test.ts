import t from 'tap'
import { build, createUser } from '../helpers/index.js'

const app = await build(t, { env: { RATE_LIMIT_MAX: '100000' } })
const user = await createUser(app)
const created = await app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: { title: 'Five', isbn: '9780306406157', publicationYear: 2000, author: 'A' } })
const id = created.json<{ id: number }>().id

t.test('an id in another notation than plain decimal is 400 VALIDATION_FAILED, not the book it would coerce to', async (t) => {
  t.equal((await app.inject(`/api/books/${id}`)).statusCode, 200, 'the plain id reads the book')
  for (const other of [`0x${id.toString(16)}`, `+${id}`, `%20${id}`, `${id}%20`, `${id}.0`, `00${id}`, `${id}e0`, '0b1', 'Infinity', '1e309']) {
    const response = await app.inject(`/api/books/${other}`)
    t.equal(response.statusCode, 400, other)
    t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/params/id', message: 'must be a plain decimal integer' }] })
  }
})

t.test('a query integer in another notation is 400 VALIDATION_FAILED; plain ones and defaults still work', async (t) => {
  for (const page of ['0x10', '+1', '%201', '1.0', '01', '1e1']) {
    const response = await app.inject(`/api/books?page=${page}`)
    t.equal(response.statusCode, 400, page)
    t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/querystring/page' }] })
  }
  t.equal((await app.inject('/api/books?page=1&pageSize=10')).statusCode, 200)
  t.equal((await app.inject('/api/books')).statusCode, 200)
  t.equal((await app.inject('/api/books?page=0')).statusCode, 400, 'bounds still apply')
})
