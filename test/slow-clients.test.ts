import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { build } from './helpers/index.js'

// A full collection on demand, so heap figures are what is still reachable, not what awaits collection.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

function liveBytes (): number {
  collectGarbage()
  collectGarbage()
  const { heapUsed, external } = process.memoryUsage()
  return heapUsed + external
}

const mebibyte = 1024 * 1024
const clients = 300
const prefixBytes = 256 * 1024
const inFlight = clients * prefixBytes
const requestTimeoutMs = 1000

interface SlowClient { socket: Socket, answer: () => string, closed: Promise<number> }

const head = `POST /api/token/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${mebibyte}\r\n\r\n`
const prefix = Buffer.from(`{"token":"${'x'.repeat(prefixBytes - 10)}`)

/**
 * Announces a 1 MiB JSON body, sends its first 256 KiB at once and then a byte every 100 ms: never idle
 * long enough for an idle timeout, so only the limit on the whole request stops it.
 */
function slowBody (port: number, started: number): SlowClient {
  const socket = connect(port, '127.0.0.1')
  let answer = ''
  socket.on('data', (chunk) => { answer += String(chunk) })
  socket.on('error', () => {}) // a reset is one way of being cut off
  const closed = once(socket, 'close').then(() => Date.now() - started)
  socket.write(head)
  socket.write(prefix)
  const trickle = setInterval(() => socket.write('x'), 100)
  socket.once('close', () => clearInterval(trickle))
  return { socket, answer: () => answer, closed }
}

t.test(`${clients} clients trickling 1 MiB bodies are cut off after REQUEST_TIMEOUT_MS with 408, and the memory they held comes back`, async (t) => {
  const app = await build(t, { env: { REQUEST_TIMEOUT_MS: String(requestTimeoutMs), RATE_LIMIT_MAX: '100000' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const before = liveBytes()

  const started = Date.now()
  const slow = Array.from({ length: clients }, () => slowBody(port, started))
  t.teardown(() => { for (const client of slow) client.socket.destroy() })

  // Cut off: every connection closes within the timeout, plus the server's check interval and a margin
  // for a loaded machine, while a patient server would hold them all for as long as the clients like.
  const bound = requestTimeoutMs * 20
  const closedAfter = await Promise.race([
    Promise.all(slow.map((client) => client.closed)),
    new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`connections still open after ${bound} ms`)), bound).unref())
  ])
  const slowest = Math.max(...closedAfter)
  t.ok(slowest < bound, `all ${clients} closed, the last after ${slowest} ms`)
  const answered = slow.filter((client) => /^HTTP\/1\.1 408 /.test(client.answer()))
  t.ok(answered.length > 0, `${answered.length} of ${clients} read a 408 before the close`)
  const [, body = ''] = answered[0]?.answer().split('\r\n\r\n') ?? []
  t.match(JSON.parse(body), { status: 408, code: 'REQUEST_TIMEOUT' })

  // Nothing of the bodies stays reachable; the margin is for the app's warmed-up caches.
  const after = liveBytes()
  t.ok(after - before < inFlight / 4, `live memory ${Math.round((after - before) / mebibyte)} MiB above the start, after ${inFlight / mebibyte} MiB in flight`)

  // The server still serves at once.
  const health = await fetch(`http://127.0.0.1:${port}/health`)
  t.equal(health.status, 200)
})
