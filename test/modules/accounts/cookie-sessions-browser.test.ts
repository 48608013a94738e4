import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { launchChromium } from '../../helpers/browser.js'
import { build, createUser, testPassword } from '../../helpers/index.js'

/**
 * The frontend: a page whose script talks to the API with `credentials: 'include'` and keeps only the
 * access token (in memory), as a React app in cookie mode would.
 */
const page = `<!doctype html><meta charset="utf-8"><title>frontend</title><script>
let access
const call = async (path, { body, auth } = {}) => {
  const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth ? { authorization: 'Bearer ' + access } : {}) }
  const response = await fetch(window.api + path, { method: 'POST', credentials: 'include', headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const json = response.status === 204 ? null : await response.json()
  if (response.ok && json !== null) access = json.access
  return { status: response.status, json }
}
window.session = {
  login: (email, password) => call('/api/token', { body: { email, password, refreshCookie: true } }),
  refresh: () => call('/api/token/refresh'),
  logout: () => call('/api/logout', { auth: true })
}
</script>`

t.test('Chromium: a page on another origin logs in with the cookie, refreshes through it (after a reload too) and logs out', async (t) => {
  const frontend = createServer((_request, response) => { response.writeHead(200, { 'content-type': 'text/html' }).end(page) })
  await new Promise<void>((resolve) => frontend.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => frontend.close(() => { resolve() })))
  // Another port on the same host: another origin, but the same site, so SameSite=Strict lets the cookie travel.
  const frontendOrigin = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`

  const app = await build(t, { env: { CORS_ORIGINS: frontendOrigin } })
  await createUser(app, { email: 'gina@example.com' })
  const api = await app.listen({ port: 0, host: '127.0.0.1' })

  const context = await launchChromium(t)
  // The cookies Chromium would send with a refresh (Path=/api).
  const refreshCookies = async () => await context.cookies(`${api}/api/token/refresh`)
  const tab = await context.newPage()
  await tab.addInitScript((url) => { Object.assign(globalThis, { api: url }) }, api)
  await tab.goto(frontendOrigin)

  type Answer = { status: number, json: Record<string, unknown> | null }
  const run = async (step: 'login' | 'refresh' | 'logout'): Promise<Answer> => await tab.evaluate(async ([name, email, password]) => {
    const { session } = globalThis as unknown as { session: Record<string, (...args: string[]) => Promise<Answer>> }
    return await session[name]!(email, password)
  }, [step, 'gina@example.com', testPassword] as const)

  const login = await run('login')
  t.equal(login.status, 200, 'login from the other origin')
  t.notOk(login.json !== null && 'refresh' in login.json, 'the page never sees the refresh token')
  const [cookie] = await refreshCookies()
  t.match(cookie, { name: 'bookstore_refresh', httpOnly: true, secure: true, sameSite: 'Strict', path: '/api' }, 'Chromium keeps the cookie')
  t.equal(await tab.evaluate('document.cookie'), '', 'and scripts cannot read it')

  t.equal((await run('refresh')).status, 200, 'refresh through the cookie')
  await tab.reload()
  const afterReload = await run('refresh')
  t.equal(afterReload.status, 200, 'the session survives a page reload (the access token was only in memory)')
  t.not((await refreshCookies())[0]?.value, cookie?.value, 'the cookie was rotated')

  t.equal((await run('logout')).status, 204, 'logout')
  t.same(await refreshCookies(), [], 'logout cleared the cookie')
  const after = await run('refresh')
  t.equal(after.status, 401, 'no session any more')
})
