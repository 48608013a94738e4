import { eq } from 'drizzle-orm'
import t from 'tap'
import { users } from '../../src/db/schema/index.js'
import { example } from '../../src/schemas/examples.js'
import { bearer, build, firstLink, pdfBytes, setupMail, tokenOf } from '../helpers/index.js'

const mail = await setupMail(t)

/**
 * "Press Execute on each operation in order": every request body is the documented example, with only
 * the placeholders (values an earlier answer or an email gives) filled in, and path parameters taken
 * from earlier answers.
 */
t.test('the documented examples succeed in the order of the guide on a fresh database', async (t) => {
  const app = await build(t, { env: mail.env })
  const document = (await app.inject('/docs/json')).json()
  const filled = new Map<string, string>()
  let token = ''

  function exampleOf (method: string, path: string): unknown {
    const media = document.paths[path]?.[method]?.requestBody?.content?.['application/json']
    if (media === undefined) return undefined
    return JSON.parse(JSON.stringify(media.example), (_key, value: unknown) =>
      typeof value === 'string' && filled.has(value) ? filled.get(value) : value)
  }

  async function execute (method: string, path: string, params: Record<string, number | string> = {}) {
    const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => String(params[name]))
    const payload = exampleOf(method, path)
    const response = await app.inject({
      method: method.toUpperCase() as 'GET',
      url,
      headers: token === '' ? {} : bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object })
    })
    t.ok(response.statusCode >= 200 && response.statusCode < 300, `${method.toUpperCase()} ${path} succeeds`, { status: response.statusCode, body: response.body })
    return response.statusCode === 204 ? undefined : response.json()
  }

  async function logIn () {
    const pair = await execute('post', '/api/token')
    filled.set(example.access, pair.access)
    filled.set(example.refresh, pair.refresh)
    token = pair.access
  }

  const since = mail.stub.emails.length
  await execute('post', '/api/register')
  const verification = await mail.next(example.email, /confirm/i, since)
  await execute('get', '/api/verify-email/{token}', { token: tokenOf(firstLink(verification.text)) })
  await logIn()
  await execute('post', '/api/token/verify')
  await execute('post', '/api/token/refresh').then((pair) => {
    filled.set(example.refresh, pair.refresh)
    token = pair.access
  })
  await execute('get', '/api/me')
  await execute('patch', '/api/me')

  const book = await execute('post', '/api/books')
  t.equal(book.id, example.bookId, 'the first book has the id the other examples name')
  await execute('get', '/api/books/{id}', { id: book.id })
  await execute('put', '/api/books/{id}', { id: book.id })
  await execute('patch', '/api/books/{id}', { id: book.id })
  const review = await execute('post', '/api/book/review')
  await execute('put', '/api/reviews/{id}', { id: review.id })
  await execute('delete', '/api/reviews/{id}', { id: review.id })
  await execute('post', '/api/books/{id}/reviews', { id: book.id })
  await execute('post', '/api/favorites/{bookId}', { bookId: book.id })
  const borrow = await execute('post', '/api/borrows')
  await execute('post', '/api/borrows/{id}/return', { id: borrow.id })
  await execute('post', '/api/books/{id}/borrow', { id: book.id })
  await execute('post', '/api/books/{id}/return', { id: book.id })
  await execute('get', '/api/borrows')

  const upload = await app.inject({
    method: 'POST',
    url: '/api/files',
    headers: { ...bearer(token), 'content-type': 'multipart/form-data; boundary=x' },
    payload: Buffer.concat([
      Buffer.from('--x\r\ncontent-disposition: form-data; name="file"; filename="notes.pdf"\r\ncontent-type: application/pdf\r\n\r\n'),
      pdfBytes(),
      Buffer.from('\r\n--x--\r\n')
    ])
  })
  t.equal(upload.statusCode, 201, 'a PDF uploads')
  await execute('patch', '/api/files/{id}', { id: upload.json().id })

  // The guide's admin step: `npm run admin:create` promotes the account; then log in again.
  await app.db.update(users).set({ role: 'admin' }).where(eq(users.email, example.email))
  await logIn()
  const author = await execute('post', '/api/authors')
  await execute('put', '/api/authors/{id}', { id: author.id })
  await execute('patch', '/api/authors/{id}', { id: author.id })
  await execute('get', '/api/stats')

  await execute('post', '/api/verify-email/resend')
  await execute('post', '/api/password-reset')
  await execute('post', '/api/logout')
})
