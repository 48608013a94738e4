import { connect } from 'node:net'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import t from 'tap'
import { loggerOptions } from '../../src/lib/logging.js'
import { build, createUser, waitUntil, type TestContext } from '../helpers/index.js'

interface LogLine { level: number, msg: string, reqId?: string, db?: { code?: string, errno?: number }, problem?: string }

/** The app logging through the production options into an array the test reads. */
async function appWithLog (t: TestContext) {
  const lines: LogLine[] = []
  const logger = pino(loggerOptions('debug'), new Writable({ write (chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } }))
  const app = await build(t, {
    logger,
    routes: (app) => {
      app.get('/api/broken-query', { config: { auth: 'public' } }, async () => await app.db.execute(sql`select * from no_such_table`))
      // Holds the request in its onRequest phase until the client is gone, as a slow authentication would.
      app.post('/api/held-before-body', { config: { auth: 'public' }, onRequest: async (request) => { await new Promise((resolve) => request.raw.once('close', resolve)) } }, async () => ({}))
    }
  })
  return { app, lines }
}

for (const { when, path } of [{ when: 'mid-body', path: '/api/books' }, { when: 'before its body is read', path: '/api/held-before-body' }]) {
  t.test(`a client hanging up ${when} is logged as a client abort at info, not as a database outage`, async (t) => {
    const { app, lines } = await appWithLog(t)
    const user = await createUser(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${user.headers.authorization}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"title":"`)
    await waitUntil(() => lines.some((line) => line.msg === 'incoming request' && line.reqId !== undefined))
    socket.destroy()
    await waitUntil(() => lines.some((line) => line.msg === 'client aborted the request'), { timeoutMs: 30000 })
    const abort = lines.find((line) => line.msg === 'client aborted the request')
    t.ok((abort?.level ?? 99) <= 30, 'at info or below')
    t.notOk(lines.some((line) => line.problem === 'SERVICE_UNAVAILABLE'), 'not as SERVICE_UNAVAILABLE')
    t.notOk(lines.some((line) => line.level >= 40), 'nothing at warn or error')
  })
}

t.test('a 500\'s log line keeps the MySQL error code; secrets stay redacted', async (t) => {
  const { app, lines } = await appWithLog(t)
  const response = await app.inject({ method: 'GET', url: '/api/broken-query' })
  t.equal(response.statusCode, 500)
  const logged = lines.find((line) => line.level === 50 && line.reqId === response.headers['x-request-id'])
  t.match(logged?.db, { code: 'ER_NO_SUCH_TABLE', errno: 1146 }, 'the code is not redacted')
  await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'x@example.com', password: 'my-secret-password' } })
  t.notOk(JSON.stringify(lines).includes('my-secret-password'))
})
