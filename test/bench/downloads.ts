/**
 * File downloads on both storage backends, side by side: the same reads (a whole 1 MiB PDF, and a
 * 64 KiB range of it) against STORAGE=local and STORAGE=s3 (a real s3rver on loopback), one app on
 * one fresh database each, so the table shows what the object store costs a download.
 *
 * Usage: node --import tsx test/bench/downloads.ts [--seconds 5] [--connections 8]
 */
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { build, createFile, createUser, type TestContext } from '../helpers/index.js'
import { startS3Server } from '../helpers/s3.js'
import { load } from './load.js'

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '8' } } })
const seconds = Number(flags.seconds)
const connections = Number(flags.connections)

/** What `build` and the S3 helper need of a test: teardowns, run here in reverse at the end. */
const teardowns: Array<() => unknown> = []
const context: TestContext = {
  teardown: (fn: () => unknown) => { teardowns.push(fn) },
  fail: (...args) => { throw new Error(String(args[0])) }
}

async function measure (backend: string, env: Record<string, string>) {
  const app = await build(context, { env: { ...env, MAX_UPLOAD_BYTES: String(2 * 1024 * 1024), RATE_LIMIT_MAX: '1000000' } })
  const user = await createUser(app)
  const { file } = await createFile(app, user, { size: 1024 * 1024 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}${file.downloadUrl}`
  const rows = []
  for (const [read, headers] of [['whole 1 MiB', {}], ['range 64 KiB', { range: 'bytes=65536-131071' }]] as const) {
    const result = await load({ url, connections, seconds, requests: [{ method: 'GET' }], headers: { ...user.headers, ...headers } })
    rows.push({ backend, read, 'req/s': result.rps, 'p50 ms': result.p50, 'p99 ms': result.p99, errors: result.errors + result.non2xx })
  }
  return rows
}

try {
  const s3 = await startS3Server(context)
  const rows = [...await measure('local', { STORAGE: 'local' }), ...await measure('s3 (s3rver)', s3.env)]
  console.log(`downloads, ${connections} connections, ${seconds} s each`)
  console.table(rows)
} finally {
  for (const teardown of teardowns.reverse()) await teardown()
}
