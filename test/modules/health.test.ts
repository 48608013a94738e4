import { connect, createServer, type Socket } from 'node:net'
import t from 'tap'
import { build, createTestDatabase } from '../helpers/index.js'

t.test('GET /health answers while the process is up', async (t) => {
  const app = await build(t)
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

t.test('GET /ready answers 200 when the database answers', async (t) => {
  const app = await build(t)
  const response = await app.inject('/ready')
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ready', checks: { database: 'up', redis: 'not configured' }, outbox: { pending: 0, sending: 0, sent: 0, failed: 0 } })
})

interface Relay {
  port: number
  stop: () => Promise<void>
}

/** A TCP relay to MariaDB on `port` (0: any free one) that the test stops and restarts, as an outage would. */
async function startRelay (port = 0): Promise<Relay> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(3306, '127.0.0.1')
    sockets.add(client).add(upstream)
    const drop = () => { client.destroy(); upstream.destroy() }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the relay has no port')
  return {
    port: address.port,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

t.test('GET /ready goes 503 while the database is unreachable and 200 again once it is back', async (t) => {
  const databaseName = new URL(await createTestDatabase(t)).pathname
  let relay = await startRelay()
  t.teardown(() => relay.stop())
  const app = await build(t, { databaseUrl: `mysql://root@127.0.0.1:${relay.port}${databaseName}` })
  t.equal((await app.inject('/ready')).statusCode, 200)

  await relay.stop()
  const down = await app.inject('/ready')
  t.equal(down.statusCode, 503)
  t.equal(down.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(down.json(), { status: 503, code: 'SERVICE_UNAVAILABLE', detail: /database/ })

  relay = await startRelay(relay.port)
  const up = await app.inject('/ready')
  t.equal(up.statusCode, 200, 'recovers without a restart')
})
