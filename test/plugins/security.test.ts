import t from 'tap'
import { build } from '../helpers/index.js'

t.test('security headers are on every response, errors included', async (t) => {
  const app = await build(t)
  for (const url of ['/health', '/api/unknown']) {
    const response = await app.inject(url)
    t.equal(response.headers['x-content-type-options'], 'nosniff', url)
    t.equal(response.headers['x-frame-options'], 'SAMEORIGIN', url)
    t.match(response.headers['strict-transport-security'], /max-age=/, url)
    t.match(response.headers['content-security-policy'], /default-src 'self'/, url)
    t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/, url)
  }
  const traced = await app.inject({ url: '/health', headers: { 'x-request-id': 'edge-1234' } })
  t.equal(traced.headers['x-request-id'], 'edge-1234', 'a well-formed incoming request id is kept')
})

t.test('CORS is off unless CORS_ORIGINS allows the origin', async (t) => {
  const closed = await build(t)
  const refused = await closed.inject({ url: '/health', headers: { origin: 'https://app.example.com' } })
  t.equal(refused.headers['access-control-allow-origin'], undefined)

  const open = await build(t, { env: { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' } })
  const preflight = await open.inject({
    method: 'OPTIONS',
    url: '/api/books',
    headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], 'https://admin.example.com')
  t.match(preflight.headers['access-control-allow-headers'], /Authorization/)
  const stranger = await open.inject({ url: '/health', headers: { origin: 'https://evil.example.net' } })
  t.equal(stranger.headers['access-control-allow-origin'], undefined)
})
