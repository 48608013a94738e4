/**
 * Answers Node's HTTP server would give on its own (issue 13, finding 10), sent as raw bytes to a
 * listening app: each one is problem+json with the same security headers as any other JSON answer.
 */
import { once } from 'node:events'
import { connect, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { build, createUser, isbn } from '../helpers/index.js'
import { parseAnswer, rawExchange, readAll, type RawAnswer } from '../helpers/raw-http.js'

const problemType = 'application/problem+json; charset=utf-8'

/** What every JSON answer carries (README "Security"). */
function checkJsonAnswer (t: Test, answer: RawAnswer, status: number, code: string) {
  t.equal(answer.status, status)
  t.equal(answer.headers['content-type'], problemType)
  t.match(JSON.parse(answer.body), { status, code })
  t.equal(answer.headers['x-content-type-options'], 'nosniff')
  t.equal(answer.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'")
  t.match(answer.headers['strict-transport-security'], /^max-age=\d+/)
  t.equal(answer.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(answer.headers['referrer-policy'], 'no-referrer')
  t.equal(answer.headers.connection, 'close')
}

t.test('answers Node would give bare are problem+json with the security headers', async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  t.test('an HTTP/1.1 request without Host → 400 VALIDATION_FAILED', async (t) => {
    const answer = await rawExchange(port, 'GET /api/books HTTP/1.1\r\n\r\n')
    checkJsonAnswer(t, answer, 400, 'VALIDATION_FAILED')
    t.match(JSON.parse(answer.body), { detail: 'The request has no Host header' })
    t.ok(answer.headers['x-request-id'], 'with a request id, like every answer of the app')
  })

  t.test('an HTTP/1.0 request may leave Host out', async (t) => {
    const answer = await rawExchange(port, 'GET /health HTTP/1.0\r\n\r\n')
    t.equal(answer.status, 200)
    t.same(JSON.parse(answer.body), { status: 'ok' })
  })

  t.test('an Expect other than 100-continue → 417 EXPECTATION_FAILED, and nothing is created', async (t) => {
    const user = await createUser(app)
    const body = JSON.stringify({ title: 'Expected', author: 'Someone', isbn: isbn(), publicationYear: 2000 })
    const answer = await rawExchange(port, `POST /api/books HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${user.headers.authorization}\r\nExpect: 417-me\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
    checkJsonAnswer(t, answer, 417, 'EXPECTATION_FAILED')
    t.equal(JSON.parse(answer.body).title, 'Expectation Failed')
    const list = await app.inject('/api/books?q=Expected')
    t.equal(list.json().total, 0)
  })

  t.test('Expect: 100-continue still works: 100 Continue, then the body, then the answer', async (t) => {
    const user = await createUser(app)
    const body = JSON.stringify({ title: 'Continued', author: 'Someone', isbn: isbn(), publicationYear: 2000 })
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write(`POST /api/books HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${user.headers.authorization}\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`)
    const [interim] = await once(socket, 'data')
    t.match(String(interim), /^HTTP\/1\.1 100 Continue\r\n/, 'the server asks for the body before it is sent')
    socket.write(body)
    const answer = parseAnswer(String(interim) + await readAll(socket))
    t.equal(answer.status, 201)
    t.match(JSON.parse(answer.body), { title: 'Continued' })
  })

  t.test('headers over the limit → 431 HEADERS_TOO_LARGE', async (t) => {
    const answer = await rawExchange(port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'x'.repeat(20000)}\r\n\r\n`)
    checkJsonAnswer(t, answer, 431, 'HEADERS_TOO_LARGE')
  })

  t.test('a request the HTTP parser refuses → 400 VALIDATION_FAILED', async (t) => {
    for (const request of [
      'FOO /api/books HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'GET /api/books HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n',
      'POST /api/books HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
    ]) {
      const answer = await rawExchange(port, request)
      checkJsonAnswer(t, answer, 400, 'VALIDATION_FAILED')
      t.match(JSON.parse(answer.body), { detail: /not valid HTTP/ })
    }
  })
})
