/**
 * The API as an outside integrator meets it: a client generated from the committed `openapi.json`
 * (`npm run openapi:types` → test/outside/generated/api.d.ts) drives one whole user journey over real
 * HTTP. Every call is typed by the document, so a schema that lies (a renamed field, a wrong type, a
 * missing route) breaks `tsc --noEmit` before it breaks an integrator.
 */
import createClient, { type Client } from 'openapi-fetch'
import t from 'tap'
import { build, createUser } from '../helpers/index.js'
import { startResendStub } from '../helpers/resend-stub.js'
import type { paths } from './generated/api.js'

const password = 'Tangerine-Kayak-Lantern-42'
const newPassword = 'Marmalade-Zeppelin-Quartz-17'

/** The Resend SDK reads RESEND_BASE_URL when the app builds its client, so the stub starts first. */
t.test('a client generated from openapi.json drives the whole journey against a listening server', async (t) => {
  const mail = await startResendStub(t)
  process.env.RESEND_BASE_URL = mail.url
  const app = await build(t, { env: { RESEND_API_KEY: 're_test', MAIL_FROM: 'Bookstore <no-reply@example.test>' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  const baseUrl = `http://127.0.0.1:${address.port}`

  const anonymous = createClient<paths>({ baseUrl })
  const as = (token: string): Client<paths> => createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } })
  const email = 'journey@example.com'

  // Register; the verification link arrives by email.
  let since = mail.emails.length
  const registered = await anonymous.POST('/api/register', { body: { email, password, username: 'journey' } })
  t.equal(registered.response.status, 201)
  t.match(registered.data, { email, username: 'journey', emailVerified: false })
  const verification = await mail.waitFor((sent) => mail.emails.indexOf(sent) >= since && sent.to.includes(email) && /confirm/i.test(sent.subject))
  const link = /https?:\/\/\S+/.exec(verification.text)?.[0]
  t.ok(link, 'the email carries a link')
  const token = new URL(link ?? 'http://invalid/').pathname.split('/').pop() ?? ''
  const verified = await anonymous.GET('/api/verify-email/{token}', { params: { path: { token } }, headers: { accept: 'application/json' } })
  t.equal(verified.response.status, 200)
  t.same(verified.data, { verified: true })

  // Log in.
  const loggedIn = await anonymous.POST('/api/token', { body: { email, password } })
  t.equal(loggedIn.response.status, 200)
  if (loggedIn.data === undefined) throw new Error(`login failed: ${JSON.stringify(loggedIn.error)}`)
  t.equal(loggedIn.data.tokenType, 'Bearer')
  let pair = loggedIn.data
  let me = as(pair.access)
  const profile = await me.GET('/api/me')
  t.match(profile.data, { email, username: 'journey', role: 'user', emailVerified: true })
  const userId = profile.data?.id ?? 0

  // An admin adds the author; the user adds a book of theirs.
  const admin = as((await createUser(app, { role: 'admin' })).token)
  const author = await admin.POST('/api/authors', { body: { name: 'Ursula K. Le Guin', birthdate: '1929-10-21', nationality: 'American' } })
  t.equal(author.response.status, 201)
  if (author.data === undefined) throw new Error(`author failed: ${JSON.stringify(author.error)}`)
  t.equal(author.data.bookCount, 0)
  const created = await me.POST('/api/books', {
    body: { title: 'The Left Hand of Darkness', isbn: '978-0-441-47812-5', publicationYear: 1969, genre: 'Science fiction', authorId: author.data.id, totalCopies: 2 }
  })
  t.equal(created.response.status, 201)
  if (created.data === undefined) throw new Error(`book failed: ${JSON.stringify(created.error)}`)
  const book = created.data
  t.match(book, { isbn: '9780441478125', ownerId: userId, totalCopies: 2, availableCopies: 2, averageRating: null, reviewCount: 0, author: { id: author.data.id } })

  // List and search, anonymously.
  const listed = await anonymous.GET('/api/books', { params: { query: { page: 1, pageSize: 10, sort: '-createdAt' } } })
  t.equal(listed.data?.total, 1)
  t.equal(listed.data?.items[0]?.id, book.id)
  const searched = await anonymous.GET('/api/books', { params: { query: { q: 'le guin', available: true, yearFrom: 1960, yearTo: 1970 } } })
  t.same(searched.data?.items.map((item) => item.id), [book.id], 'found by author name')
  const missed = await anonymous.GET('/api/books', { params: { query: { q: 'dune' } } })
  t.equal(missed.data?.total, 0)
  const one = await anonymous.GET('/api/books/{id}', { params: { path: { id: book.id } } })
  t.equal(one.data?.title, 'The Left Hand of Darkness')
  const byGenre = await anonymous.GET('/api/books/available-by-genre')
  t.match(byGenre.data, [{ genre: 'Science fiction', availableCopies: 2 }])

  // Favourite.
  const favourite = await me.POST('/api/favorites/{bookId}', { params: { path: { bookId: book.id } } })
  t.equal(favourite.response.status, 201)
  const favourites = await me.GET('/api/favorites')
  t.equal(favourites.data?.items[0]?.id, book.id)
  t.type(favourites.data?.items[0]?.favoritedAt, 'string')

  // Review.
  const review = await me.POST('/api/book/review', { body: { bookId: book.id, rating: 5, comment: 'Shifgrethor.' } })
  t.equal(review.response.status, 201)
  t.match(review.data, { bookId: book.id, rating: 5, user: { id: userId, username: 'journey' } })
  const reviews = await anonymous.GET('/api/books/{id}/reviews', { params: { path: { id: book.id } } })
  t.equal(reviews.data?.total, 1)
  const rated = await anonymous.GET('/api/books/{id}', { params: { path: { id: book.id } } })
  t.equal(rated.data?.averageRating, 5)

  // Borrow and return.
  const borrowed = await me.POST('/api/borrows', { body: { bookId: book.id } })
  t.equal(borrowed.response.status, 201)
  if (borrowed.data === undefined) throw new Error(`borrow failed: ${JSON.stringify(borrowed.error)}`)
  t.match(borrowed.data, { isReturned: false, returnedAt: null, overdue: false, book: { id: book.id } })
  t.equal(Date.parse(borrowed.data.dueAt) - Date.parse(borrowed.data.borrowedAt), 14 * 86400e3, 'due in LOAN_DAYS')
  const shelf = await anonymous.GET('/api/books/{id}', { params: { path: { id: book.id } } })
  t.equal(shelf.data?.availableCopies, 1)
  const returned = await me.POST('/api/borrows/{id}/return', { params: { path: { id: borrowed.data.id } } })
  t.equal(returned.response.status, 200)
  t.equal(returned.data?.isReturned, true)
  const history = await me.GET('/api/borrows', { params: { query: { status: 'returned' } } })
  t.same(history.data?.items.map((item) => item.id), [borrowed.data.id])

  // Upload a PDF, then download it.
  const pdf = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1')
  const uploaded = await me.POST('/api/files', {
    // The typed body documents the multipart fields; the serializer sends them as a browser would.
    body: { file: 'journey.pdf', bookId: book.id },
    bodySerializer: (body) => {
      const form = new FormData()
      form.append('bookId', String(body.bookId))
      form.append('file', new Blob([pdf], { type: 'application/pdf' }), body.file)
      return form
    }
  })
  t.equal(uploaded.response.status, 201)
  if (uploaded.data === undefined) throw new Error(`upload failed: ${JSON.stringify(uploaded.error)}`)
  t.match(uploaded.data, { filename: 'journey.pdf', contentType: 'application/pdf', size: pdf.length, ownerId: userId, bookId: book.id })
  const downloaded = await me.GET('/api/files/{id}/download', { params: { path: { id: uploaded.data.id } }, parseAs: 'arrayBuffer' })
  t.equal(downloaded.response.status, 200)
  t.equal(downloaded.response.headers.get('content-type'), 'application/pdf')
  t.match(downloaded.response.headers.get('content-disposition'), /^attachment;/)
  t.same(Buffer.from(downloaded.data ?? new ArrayBuffer(0)), pdf, 'the same bytes come back')
  const mine = await me.GET('/api/files')
  t.same(mine.data?.items.map((file) => file.id), [uploaded.data.id])

  // Refresh: a new pair, the old refresh token spent.
  const refreshed = await anonymous.POST('/api/token/refresh', { body: { refresh: pair.refresh } })
  t.equal(refreshed.response.status, 200)
  if (refreshed.data === undefined) throw new Error(`refresh failed: ${JSON.stringify(refreshed.error)}`)
  t.not(refreshed.data.refresh, pair.refresh)
  pair = refreshed.data
  me = as(pair.access)
  t.equal((await me.GET('/api/me')).response.status, 200)

  // Change the password with the emailed code; every earlier token stops working.
  since = mail.emails.length
  const started = await me.GET('/api/change-password')
  t.equal(started.response.status, 202)
  const codeMail = await mail.waitFor((sent) => mail.emails.indexOf(sent) >= since && sent.to.includes(email) && /code/i.test(sent.subject))
  const code = /code[^\n]*\n+\s*(\d{6,})\s*\n/i.exec(codeMail.text)?.[1] ?? ''
  t.match(code, /^\d{6,}$/)
  const changed = await me.POST('/api/change-password', { body: { code, currentPassword: password, newPassword } })
  t.equal(changed.response.status, 204)
  const stale = await me.GET('/api/me')
  t.equal(stale.response.status, 401)
  t.equal(stale.error?.code, 'TOKEN_REVOKED')
  const oldPassword = await anonymous.POST('/api/token', { body: { email, password } })
  t.equal(oldPassword.error?.code, 'INVALID_CREDENTIALS')

  // Log in with the new password, then log out.
  const again = await anonymous.POST('/api/token', { body: { username: 'journey', password: newPassword } })
  if (again.data === undefined) throw new Error(`login failed: ${JSON.stringify(again.error)}`)
  me = as(again.data.access)
  const loggedOut = await me.POST('/api/logout', { body: { refresh: again.data.refresh } })
  t.equal(loggedOut.response.status, 204)
  const after = await me.GET('/api/me')
  t.equal(after.response.status, 401)
  t.equal(after.error?.code, 'TOKEN_REVOKED')
  t.equal(after.response.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  const spent = await anonymous.POST('/api/token/refresh', { body: { refresh: again.data.refresh } })
  t.equal(spent.response.status, 401)
})
