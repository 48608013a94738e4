/**
 * The security matrix, played as an attacker from outside. Complements
 * test/modules/accounts/tokens.test.ts ("JWT attacks answer 401, never 500", which forges tokens against
 * GET /api/me) rather than repeating it: here every attack runs against a route of each module and
 * method, with the header and claim tricks it does not try; then broken object-level authorisation
 * (a second user on the first one's resources), mass assignment, and account enumeration.
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions } from 'fastify'
import t from 'tap'
import { build, createUser, testJwtSecret, testPassword, type TestUser } from '../helpers/index.js'

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
function forge (header: object, payload: object, secret: string | undefined, algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const unsigned = `${b64(header)}.${b64(payload)}`
  return `${unsigned}.${secret === undefined ? '' : createHmac(algorithm, secret).update(unsigned).digest('base64url')}`
}
function claimsFor (userId: number | string, overrides: object = {}) {
  const now = Math.floor(Date.now() / 1000)
  return { sub: String(userId), typ: 'access', ver: 0, jti: randomUUID(), iat: now, exp: now + 600, iss: 'bookstore-api', aud: 'bookstore-api', ...overrides }
}

/** Every table's row count and checksum: what "nothing changed" means. */
async function snapshot (app: FastifyInstance): Promise<unknown> {
  const [rows] = await app.pool.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name")
  const tables = (rows as Array<{ name: string }>).map((row) => `\`${row.name}\``)
  const [sums] = await app.pool.query(`CHECKSUM TABLE ${tables.join(', ')}`)
  const [counts] = await app.pool.query(tables.map((table) => `SELECT '${table}' AS name, COUNT(*) AS n FROM ${table}`).join(' UNION ALL '))
  return { sums, counts }
}

function multipart (content: string, field = 'file') {
  const boundary = `----security${randomUUID()}`
  return {
    payload: `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="x.pdf"\r\nContent-Type: application/pdf\r\n\r\n${content}\r\n--${boundary}--\r\n`,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }
  }
}

/** Alice's world: a book, a review, an open borrow, a favourite and a file, made through the API. */
async function aliceWorld (app: FastifyInstance, alice: TestUser) {
  const ok = async (options: InjectOptions) => {
    const response = await app.inject({ ...options, headers: { ...alice.headers, ...(options.headers as object) } })
    if (response.statusCode >= 300) throw new Error(`${String(options.method)} ${String(options.url)}: ${response.statusCode} ${response.body}`)
    return response.statusCode === 204 ? { id: 0 } : response.json<{ id: number }>()
  }
  const book = await ok({ method: 'POST', url: '/api/books', payload: { title: 'Lilith’s Brood', isbn: '9780446676106', publicationYear: 2000, author: 'Octavia E. Butler', totalCopies: 3 } })
  const review = await ok({ method: 'POST', url: '/api/book/review', payload: { bookId: book.id, rating: 5 } })
  const borrow = await ok({ method: 'POST', url: '/api/borrows', payload: { bookId: book.id } })
  await ok({ method: 'POST', url: `/api/favorites/${book.id}` })
  const upload = multipart('%PDF-1.7\nalice\n')
  const file = await ok({ method: 'POST', url: '/api/files', payload: upload.payload, headers: upload.headers })
  return { bookId: book.id, reviewId: review.id, borrowId: borrow.id, fileId: file.id }
}

t.test('JWT attacks on a route of every module and method: 401, never 500, nothing changed', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const world = await aliceWorld(app, alice)
  const login = await app.inject({ method: 'POST', url: '/api/token', payload: { email: admin.email, password: testPassword } })
  const pair = login.json<{ access: string, refresh: string }>()
  const [header, payload, signature] = pair.access.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const hs = { alg: 'HS256', typ: 'JWT' }

  // Beyond tokens.test.ts: other algorithms and header tricks, claim types, unknown subjects, old token versions.
  const attacks: Record<string, { token: string, code: string }> = {
    'alg none on an admin': { token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsFor(admin.id))}.`, code: 'TOKEN_INVALID' },
    'alg NoNe': { token: `${b64({ alg: 'NoNe' })}.${b64(claimsFor(admin.id))}.`, code: 'TOKEN_INVALID' },
    'HS384 with the right secret': { token: forge({ alg: 'HS384' }, claimsFor(admin.id), testJwtSecret, 'sha384'), code: 'TOKEN_INVALID' },
    'HS512 with the right secret': { token: forge({ alg: 'HS512' }, claimsFor(admin.id), testJwtSecret, 'sha512'), code: 'TOKEN_INVALID' },
    'RS256 header, HMAC body (key confusion)': { token: forge({ alg: 'RS256' }, claimsFor(admin.id), testJwtSecret), code: 'TOKEN_INVALID' },
    'wrong key': { token: forge(hs, claimsFor(admin.id), 'x'.repeat(48)), code: 'TOKEN_INVALID' },
    'empty key': { token: forge(hs, claimsFor(admin.id), ''), code: 'TOKEN_INVALID' },
    'kid/jku injection': { token: forge({ ...hs, kid: '../../../../dev/null', jku: 'https://evil.example/jwks.json' }, claimsFor(admin.id), 'x'.repeat(48)), code: 'TOKEN_INVALID' },
    'tampered payload, signature kept': { token: `${header}.${b64({ ...claims, sub: String(alice.id) })}.${signature}`, code: 'TOKEN_INVALID' },
    'signature stripped': { token: `${header}.${payload}.`, code: 'TOKEN_INVALID' },
    expired: { token: forge(hs, claimsFor(admin.id, { iat: 1000, exp: 2000 }), testJwtSecret), code: 'TOKEN_EXPIRED' },
    'refresh token used as access': { token: pair.refresh, code: 'TOKEN_INVALID' },
    'typ missing': { token: forge(hs, { ...claimsFor(admin.id), typ: undefined }, testJwtSecret), code: 'TOKEN_INVALID' },
    'sub not a number': { token: forge(hs, claimsFor('1 OR 1=1'), testJwtSecret), code: 'TOKEN_INVALID' },
    'sub an object': { token: forge(hs, { ...claimsFor(admin.id), sub: { id: admin.id } }, testJwtSecret), code: 'TOKEN_INVALID' },
    'sub huge': { token: forge(hs, claimsFor('9'.repeat(400)), testJwtSecret), code: 'TOKEN_INVALID' },
    'exp a string': { token: forge(hs, claimsFor(admin.id, { exp: 'never' }), testJwtSecret), code: 'TOKEN_INVALID' },
    'no such user': { token: forge(hs, claimsFor(987654), testJwtSecret), code: 'TOKEN_REVOKED' },
    'an older token version': { token: forge(hs, claimsFor(admin.id, { ver: -1 }), testJwtSecret), code: 'TOKEN_REVOKED' },
    'a 100 kB token': { token: `${header}.${'A'.repeat(100_000)}.${signature}`, code: 'TOKEN_INVALID' }
  }
  const targets: Array<InjectOptions & { url: string }> = [
    { method: 'GET', url: '/api/me' },
    { method: 'POST', url: '/api/books', payload: { title: 'Forged', isbn: '9780306406157', publicationYear: 2000, author: 'Nobody' } },
    { method: 'DELETE', url: `/api/books/${world.bookId}` },
    { method: 'GET', url: '/api/admin/books' },
    { method: 'POST', url: '/api/authors', payload: { name: 'Forged' } },
    { method: 'POST', url: '/api/borrows', payload: { bookId: world.bookId } },
    { method: 'GET', url: '/api/favorites' },
    { method: 'PUT', url: `/api/reviews/${world.reviewId}`, payload: { rating: 1 } },
    { method: 'DELETE', url: `/api/files/${world.fileId}` },
    { method: 'POST', url: '/api/logout/all' }
  ]
  const before = await snapshot(app)
  const wrong: string[] = []
  for (const [name, { token, code }] of Object.entries(attacks)) {
    for (const target of targets) {
      const response = await app.inject({ ...target, headers: { authorization: `Bearer ${token}` } })
      const body = response.json<{ code?: string }>()
      if (response.statusCode !== 401 || body.code !== code) wrong.push(`${name} → ${target.method} ${target.url}: ${response.statusCode} ${String(body.code)}`)
    }
  }
  t.same(wrong, [], `${Object.keys(attacks).length} attacks × ${targets.length} routes answer 401 with the expected code`)
  t.same(await snapshot(app), before, 'no attack changed a row')

  // Scheme and header shapes.
  for (const authorization of ['Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, `bearer${pair.access}`, `Bearer ${pair.access} extra`, `Bearer  ${pair.access}x`]) {
    const response = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization } })
    t.equal(response.statusCode, 401, `Authorization: ${authorization.slice(0, 20)}… → 401`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `bearer ${pair.access}` } })).statusCode, 200, 'the scheme is case-insensitive (RFC 9110)')

  // The other way round: an access token where a refresh token belongs.
  const accessAsRefresh = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: pair.access } })
  t.equal(accessAsRefresh.statusCode, 401)
  t.equal(accessAsRefresh.json().code, 'TOKEN_INVALID', 'an access token is not a refresh token')
  const forgedRefresh = await app.inject({ method: 'POST', url: '/api/token/refresh', payload: { refresh: forge({ alg: 'none' }, { ...claimsFor(admin.id), typ: 'refresh', fam: randomUUID() }, undefined) } })
  t.equal(forgedRefresh.statusCode, 401)

  // Revoked: a logged-out token stays dead on every route; the control token still works.
  t.equal((await app.inject({ method: 'GET', url: '/api/admin/books', headers: { authorization: `Bearer ${pair.access}` } })).statusCode, 200, 'control: the genuine token works')
  t.equal((await app.inject({ method: 'POST', url: '/api/logout', headers: { authorization: `Bearer ${pair.access}` } })).statusCode, 204)
  for (const target of targets) {
    const response = await app.inject({ ...target, headers: { authorization: `Bearer ${pair.access}` } })
    t.equal(response.json().code, 'TOKEN_REVOKED', `revoked → ${target.method} ${target.url}`)
  }
})

t.test('BOLA: a second user tries every owner-scoped action on the first user’s resources; nothing succeeds or changes', async (t) => {
  const app = await build(t)
  const alice = await createUser(app)
  const mallory = await createUser(app)
  const world = await aliceWorld(app, alice)
  const before = await snapshot(app)
  const pdf = multipart('%PDF-1.7\nmallory was here\n')

  const attempts: Array<{ name: string, request: InjectOptions, status: number, code: string }> = [
    { name: 'replace the book', request: { method: 'PUT', url: `/api/books/${world.bookId}`, payload: { title: 'Mine now', isbn: '9780446676106', publicationYear: 2000, author: 'Octavia E. Butler', totalCopies: 3 } }, status: 403, code: 'FORBIDDEN' },
    { name: 'edit the book', request: { method: 'PATCH', url: `/api/books/${world.bookId}`, payload: { title: 'Mine now' } }, status: 403, code: 'FORBIDDEN' },
    { name: 'delete the book', request: { method: 'DELETE', url: `/api/books/${world.bookId}` }, status: 403, code: 'FORBIDDEN' },
    { name: 'edit the review', request: { method: 'PUT', url: `/api/reviews/${world.reviewId}`, payload: { rating: 1, comment: 'awful' } }, status: 403, code: 'FORBIDDEN' },
    { name: 'delete the review', request: { method: 'DELETE', url: `/api/reviews/${world.reviewId}` }, status: 403, code: 'FORBIDDEN' },
    { name: 'return the borrow', request: { method: 'POST', url: `/api/borrows/${world.borrowId}/return` }, status: 404, code: 'NOT_FOUND' },
    { name: 'return the book by its id', request: { method: 'POST', url: `/api/books/${world.bookId}/return` }, status: 404, code: 'NOT_FOUND' },
    { name: 'remove the favourite', request: { method: 'DELETE', url: `/api/favorites/${world.bookId}` }, status: 404, code: 'NOT_FOUND' },
    { name: 'replace the file', request: { method: 'PUT', url: `/api/files/${world.fileId}`, payload: pdf.payload, headers: pdf.headers }, status: 403, code: 'FORBIDDEN' },
    { name: 'rename the file', request: { method: 'PATCH', url: `/api/files/${world.fileId}`, payload: { filename: 'pwned.pdf' } }, status: 403, code: 'FORBIDDEN' },
    { name: 'delete the file', request: { method: 'DELETE', url: `/api/files/${world.fileId}` }, status: 403, code: 'FORBIDDEN' },
    { name: 'restore a book (admin only)', request: { method: 'POST', url: `/api/admin/books/${world.bookId}/restore` }, status: 403, code: 'FORBIDDEN' },
    { name: 'list every borrow (admin only)', request: { method: 'GET', url: `/api/admin/borrows?userId=${alice.id}` }, status: 403, code: 'FORBIDDEN' },
    { name: 'read the statistics (admin only)', request: { method: 'GET', url: '/api/stats' }, status: 403, code: 'FORBIDDEN' },
    { name: 'rename the author (admin only)', request: { method: 'PATCH', url: '/api/authors/1', payload: { name: 'Mallory' } }, status: 403, code: 'FORBIDDEN' }
  ]
  for (const { name, request, status, code } of attempts) {
    const response = await app.inject({ ...request, headers: { ...mallory.headers, ...(request.headers as object) } })
    t.equal(response.statusCode, status, `${name}: ${status}`)
    t.equal(response.json().code, code, `${name}: ${code}`)
  }

  // Lists never show someone else's rows.
  const favourites = await app.inject({ method: 'GET', url: '/api/favorites', headers: mallory.headers })
  t.equal(favourites.json().total, 0, 'Alice’s favourites are not Mallory’s')
  const history = await app.inject({ method: 'GET', url: `/api/borrows?bookId=${world.bookId}`, headers: mallory.headers })
  t.equal(history.json().total, 0, 'Alice’s borrows are not in Mallory’s history')
  const myBooks = await app.inject({ method: 'GET', url: '/api/me/books', headers: mallory.headers })
  t.equal(myBooks.json().total, 0)
  const files = await app.inject({ method: 'GET', url: '/api/files', headers: mallory.headers })
  t.equal(files.json().total, 0)

  t.same(await snapshot(app), before, 'not one row changed')
  const download = await app.inject({ method: 'GET', url: `/api/files/${world.fileId}/download`, headers: alice.headers })
  t.equal(download.body, '%PDF-1.7\nalice\n', 'the stored bytes are Alice’s still')

  // Reading what is shared is allowed; the owner and an admin keep their powers (controls).
  t.equal((await app.inject({ method: 'GET', url: `/api/files/${world.fileId}`, headers: mallory.headers })).statusCode, 200, 'files are shared for reading')
  t.equal((await app.inject({ method: 'PATCH', url: `/api/books/${world.bookId}`, headers: alice.headers, payload: { title: 'Xenogenesis' } })).statusCode, 200, 'control: the owner may edit')
})

t.test('mass assignment: role, emailVerified, ownerId, availableCopies, ids and counters are refused', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '1000' } })
  const alice = await createUser(app)
  const other = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const world = await aliceWorld(app, alice)
  const before = await snapshot(app)
  const attempts: Array<{ name: string, request: InjectOptions, statuses: number[] }> = [
    { name: 'register as admin', request: { method: 'POST', url: '/api/register', payload: { email: 'eve@example.com', password: 'Tangerine-Kayak-Lantern-42', role: 'admin' } }, statuses: [400] },
    { name: 'register pre-verified', request: { method: 'POST', url: '/api/register', payload: { email: 'eve@example.com', password: 'Tangerine-Kayak-Lantern-42', emailVerified: true } }, statuses: [400] },
    { name: 'register with an id', request: { method: 'POST', url: '/api/register', payload: { email: 'eve@example.com', password: 'Tangerine-Kayak-Lantern-42', id: 1 } }, statuses: [400] },
    { name: 'promote myself', request: { method: 'PATCH', url: '/api/me', headers: alice.headers, payload: { role: 'admin' } }, statuses: [400] },
    { name: 'verify myself', request: { method: 'PATCH', url: '/api/me', headers: alice.headers, payload: { username: 'alice2', emailVerified: true } }, statuses: [400] },
    { name: 'change my email without checks', request: { method: 'PATCH', url: '/api/me', headers: alice.headers, payload: { email: 'boss@example.com' } }, statuses: [400] },
    { name: 'prototype pollution', request: { method: 'PATCH', url: '/api/me', headers: { ...alice.headers, 'content-type': 'application/json' }, payload: '{"username":"alice3","__proto__":{"role":"admin"}}' }, statuses: [400] },
    { name: 'create a book for someone else', request: { method: 'POST', url: '/api/books', headers: alice.headers, payload: { title: 'T', isbn: '9780306406157', publicationYear: 2000, author: 'A', ownerId: other.id } }, statuses: [400] },
    { name: 'create a book with its id', request: { method: 'POST', url: '/api/books', headers: alice.headers, payload: { title: 'T', isbn: '9780306406157', publicationYear: 2000, author: 'A', id: 1 } }, statuses: [400] },
    { name: 'create a book with availableCopies', request: { method: 'POST', url: '/api/books', headers: alice.headers, payload: { title: 'T', isbn: '9780306406157', publicationYear: 2000, author: 'A', totalCopies: 1, availableCopies: 50 } }, statuses: [400, 403] },
    { name: 'create a book already rated', request: { method: 'POST', url: '/api/books', headers: alice.headers, payload: { title: 'T', isbn: '9780306406157', publicationYear: 2000, author: 'A', averageRating: 5, reviewCount: 100 } }, statuses: [400] },
    { name: 'owner sets availableCopies', request: { method: 'PATCH', url: `/api/books/${world.bookId}`, headers: alice.headers, payload: { availableCopies: 3 } }, statuses: [403] },
    { name: 'owner gives the book away', request: { method: 'PATCH', url: `/api/books/${world.bookId}`, headers: alice.headers, payload: { ownerId: other.id } }, statuses: [400] },
    { name: 'owner renumbers the book', request: { method: 'PATCH', url: `/api/books/${world.bookId}`, headers: alice.headers, payload: { id: 999 } }, statuses: [400] },
    { name: 'owner backdates the book', request: { method: 'PATCH', url: `/api/books/${world.bookId}`, headers: alice.headers, payload: { createdAt: '2000-01-01T00:00:00Z' } }, statuses: [400] },
    { name: 'review as someone else', request: { method: 'PUT', url: `/api/reviews/${world.reviewId}`, headers: alice.headers, payload: { rating: 3, userId: other.id } }, statuses: [400] },
    { name: 'borrow for someone else, due in 2099', request: { method: 'POST', url: '/api/borrows', headers: other.headers, payload: { bookId: world.bookId, userId: alice.id, dueAt: '2099-01-01T00:00:00Z' } }, statuses: [400] },
    { name: 'give my file away', request: { method: 'PATCH', url: `/api/files/${world.fileId}`, headers: alice.headers, payload: { ownerId: other.id } }, statuses: [400] },
    { name: 'fake a file checksum', request: { method: 'PATCH', url: `/api/files/${world.fileId}`, headers: alice.headers, payload: { sha256: '0'.repeat(64), size: 1 } }, statuses: [400] },
    { name: 'author with a book count', request: { method: 'PATCH', url: '/api/authors/1', headers: admin.headers, payload: { bookCount: 99 } }, statuses: [400] }
  ]
  for (const { name, request, statuses } of attempts) {
    const response = await app.inject(request)
    t.ok(statuses.includes(response.statusCode), `${name}: ${response.statusCode} (${response.json<{ code?: string }>().code ?? ''})`)
  }
  t.same(await snapshot(app), before, 'nothing changed')
  const me = await app.inject({ method: 'GET', url: '/api/me', headers: alice.headers })
  t.match(me.json(), { role: 'user' }, 'still a user')
  t.equal(({} as Record<string, unknown>).role, undefined, 'Object.prototype untouched')
})

t.test('enumeration: resend and reset answer alike for unknown, unverified and verified emails; login timing too', async (t) => {
  const app = await build(t, { env: { AUTH_RATE_LIMIT_MAX: '1000' } })
  const verified = await createUser(app, { email: 'known@example.com' })
  await createUser(app, { email: 'pending@example.com', verified: false })
  const stable = (response: { statusCode: number, body: string, headers: Record<string, unknown> }) => ({
    status: response.statusCode,
    body: response.body,
    contentType: response.headers['content-type'],
    headerNames: Object.keys(response.headers).filter((name) => !['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset'].includes(name)).sort()
  })
  for (const url of ['/api/verify-email/resend', '/api/password-reset']) {
    const answers: Array<ReturnType<typeof stable>> = []
    for (const email of ['nobody@example.com', 'pending@example.com', verified.email, 'KNOWN@example.com']) {
      answers.push(stable(await app.inject({ method: 'POST', url, payload: { email } })))
    }
    t.equal(answers[0]?.status, 202, `${url}: 202`)
    t.ok(answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0])), `${url}: the same answer whoever asks`)
  }

  // Timing: accounts registered through the API (hashed at the production cost) with a wrong
  // password, against emails with no account. Medians of 10, a generous margin so CI is not flaky.
  const password = 'Tangerine-Kayak-Lantern-42'
  const emails = ['timing-a@example.com', 'timing-b@example.com']
  for (const email of emails) t.equal((await app.inject({ method: 'POST', url: '/api/register', payload: { email, password } })).statusCode, 201)
  const time = async (email: string) => {
    const started = process.hrtime.bigint()
    const response = await app.inject({ method: 'POST', url: '/api/token', payload: { email, password: 'Wrong-Password-123' } })
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (response.statusCode !== 401) throw new Error(`login answered ${response.statusCode}`)
    return { ms, body: response.body }
  }
  await time('warm-up@example.com')
  const known: number[] = []
  const unknown: number[] = []
  const bodies = new Set<string>()
  for (let i = 0; i < 10; i++) {
    // Alternate, so load on the machine hits both alike; 5 failures per account stay under its lockout of 10.
    const a = await time(emails[i % 2] ?? '')
    const b = await time(`ghost-${i}@example.com`)
    known.push(a.ms)
    unknown.push(b.ms)
    bodies.add(a.body).add(b.body)
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0
  const ratio = median(unknown) / median(known)
  t.equal(bodies.size, 1, 'the same 401 body for an unknown email and a wrong password')
  t.ok(ratio > 0.5 && ratio < 2, `median ${median(unknown).toFixed(1)} ms unknown vs ${median(known).toFixed(1)} ms known (ratio ${ratio.toFixed(2)})`)
})
