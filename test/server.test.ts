import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { createTestDatabase, testJwtSecret } from './helpers/index.js'

/** Starts `src/server.ts` as `npm start` would (after the build) and resolves with its port. */
async function startServer (t: Test, databaseUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, JWT_SECRET: testJwtSecret, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk) => { output += String(chunk) })
  child.stderr.on('data', (chunk) => { output += String(chunk) })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20000)
    child.stdout.on('data', () => {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(Number(match[1])) }
    })
  })
  return { child, port, output: () => output }
}

t.test('the server migrates an empty database, serves, and on SIGTERM finishes in-flight requests before exiting', async (t) => {
  const url = await createTestDatabase(t)
  const { child, port, output } = await startServer(t, url)

  const ready = await fetch(`http://127.0.0.1:${port}/ready`)
  t.equal(ready.status, 200, 'migrated and ready')

  // A request still arriving when the signal comes: its body is only half sent.
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const body = JSON.stringify({ email: 'late@example.com' })
  socket.write(`POST /api/in-flight HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)
  let response = ''
  socket.on('data', (chunk) => { response += String(chunk) })
  await new Promise((resolve) => setTimeout(resolve, 200))

  child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 300))
  socket.write(body.slice(5))
  const [code] = await once(child, 'exit')
  t.match(response, /^HTTP\/1\.1 404/, 'the in-flight request got its answer')
  t.equal(code, 0, 'a clean exit')
  t.match(output(), /shutting down/)
})
