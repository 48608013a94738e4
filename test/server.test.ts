import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import { createTestDatabase, startServerProcess, waitUntil } from './helpers/index.js'

t.test('the server migrates an empty database, serves, and on SIGTERM finishes in-flight requests before exiting', async (t) => {
  const url = await createTestDatabase(t)
  const { child, port, output } = await startServerProcess(t, url)

  const ready = await fetch(`http://127.0.0.1:${port}/ready`)
  t.equal(ready.status, 200, 'migrated and ready')

  // A request still arriving when the signal comes: its body is only half sent.
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const body = JSON.stringify({ email: 'late@example.com' })
  socket.write(`POST /api/in-flight HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)
  let response = ''
  socket.on('data', (chunk) => { response += String(chunk) })
  // Fastify logs each request once its headers are in; the server has it before the signal comes.
  await waitUntil(() => output().includes('/api/in-flight'))

  child.kill('SIGTERM')
  await waitUntil(() => /shutting down/.test(output()))
  socket.write(body.slice(5))
  const [code] = await once(child, 'exit')
  t.match(response, /^HTTP\/1\.1 404/, 'the in-flight request got its answer')
  t.equal(code, 0, 'a clean exit')
  t.match(output(), /shutting down/)
})
