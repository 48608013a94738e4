import t from 'tap'
import { build } from '../helpers/index.js'
import { freePort, launchChromium } from '../helpers/browser.js'

t.test('Swagger UI renders the operations and "Try it out" runs GET /health', async (t) => {
  // Execute goes to the document's first server, this deployment's PUBLIC_URL, as in production.
  const port = await freePort()
  const app = await build(t, { env: { PUBLIC_URL: `http://127.0.0.1:${port}` } })
  const origin = await app.listen({ port, host: '127.0.0.1' })
  const context = await launchChromium(t)
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
