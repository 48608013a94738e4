import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { build } from '../helpers/index.js'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** A port nothing listens on now, so the app can be told its PUBLIC_URL before it listens there. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('Swagger UI renders the operations and "Try it out" runs GET /health', async (t) => {
  t.ok(existsSync(executablePath), `Chromium at ${executablePath} (.ci/run installs Debian's chromium)`)
  // Execute goes to the document's first server, this deployment's PUBLIC_URL, as in production.
  const port = await freePort()
  const app = await build(t, { env: { PUBLIC_URL: `http://127.0.0.1:${port}` } })
  const origin = await app.listen({ port, host: '127.0.0.1' })
  const userDataDir = await mkdtemp(join(tmpdir(), 'bookstore-chromium-'))
  t.teardown(() => rm(userDataDir, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']
  })
  t.teardown(() => context.close())
  const page = await context.newPage()
  await page.goto(`${origin}/docs/`)

  const health = page.locator('#operations-Operations-getHealth')
  await health.waitFor({ timeout: 15000 })
  t.ok(await page.locator('.opblock').count() >= 2, 'the operations render')
  await health.locator('.opblock-summary').click()
  await health.getByRole('button', { name: 'Try it out' }).click()
  await health.getByRole('button', { name: 'Execute' }).click()
  const status = health.locator('.live-responses-table tbody .response-col_status').first()
  await status.waitFor({ timeout: 15000 })
  t.equal((await status.innerText()).trim(), '200')
  t.match(await health.locator('.live-responses-table .microlight').first().innerText(), /"status": "ok"/)
})
