import t from 'tap'
import { build } from '../helpers/index.js'

t.test('security headers are on every response, errors included (before routing too)', async (t) => {
  const app = await build(t)
  for (const url of ['/health', '/api/unknown', '/api/books/1', '/api/books/%E0%A4%A']) {
    const response = await app.inject(url)
    t.equal(response.headers['x-content-type-options'], 'nosniff', url)
    t.equal(response.headers['x-frame-options'], 'SAMEORIGIN', url)
    t.match(response.headers['strict-transport-security'], /max-age=/, url)
    t.equal(response.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", `${url}: a JSON answer may load and embed nothing`)
    t.equal(response.headers['referrer-policy'], 'no-referrer', url)
    t.equal(response.headers['cross-origin-resource-policy'], 'same-origin', url)
    t.equal(response.headers['cross-origin-opener-policy'], 'same-origin', url)
    t.equal(response.headers['x-dns-prefetch-control'], 'off', url)
    t.equal(response.headers['x-permitted-cross-domain-policies'], 'none', url)
    t.equal(response.headers['x-xss-protection'], '0', `${url}: the broken XSS auditor is switched off`)
    t.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/, url)
  }
  const traced = await app.inject({ url: '/health', headers: { 'x-request-id': 'edge-1234' } })
  t.equal(traced.headers['x-request-id'], 'edge-1234', 'a well-formed incoming request id is kept')
})

t.test('Swagger UI gets the page headers, with a CSP that lets it run', async (t) => {
  const app = await build(t)
  for (const url of ['/docs', '/docs/static/index.html', '/docs/json']) {
    const response = await app.inject(url)
    t.ok(response.statusCode < 400, `${url} answers (${response.statusCode})`)
    const csp = response.headers['content-security-policy']
    t.match(csp, /default-src 'self'/, url)
    t.match(csp, /script-src 'self' 'unsafe-inline'/, url)
    t.notMatch(csp, /default-src 'none'/, `${url}: the API's policy is replaced, not merged`)
    t.equal(response.headers['x-frame-options'], 'SAMEORIGIN', url)
    t.equal(response.headers['x-content-type-options'], 'nosniff', url)
  }
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

t.test('a page on an allowed origin may send tracing, idempotency and conditional headers, and read the API\'s headers', async (t) => {
  const app = await build(t, { env: { CORS_ORIGINS: 'https://app.example.com' } })
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/books/1',
    headers: {
      origin: 'https://app.example.com',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'x-request-id,idempotency-key,if-match,if-none-match,authorization,content-type'
    }
  })
  t.equal(preflight.statusCode, 204)
  const allowed = String(preflight.headers['access-control-allow-headers']).toLowerCase().split(/\s*,\s*/)
  for (const header of ['x-request-id', 'idempotency-key', 'if-match', 'if-none-match', 'authorization', 'content-type']) {
    t.ok(allowed.includes(header), `${header} may be sent`)
  }
  t.equal(preflight.headers['access-control-allow-credentials'], 'true', 'credentials (the refresh cookie) are allowed')

  const answer = await app.inject({ url: '/api/books/1', headers: { origin: 'https://app.example.com' } })
  t.equal(answer.headers['access-control-allow-origin'], 'https://app.example.com', 'the origin is echoed, never *')
  t.equal(answer.headers['access-control-allow-credentials'], 'true')
  const exposed = String(answer.headers['access-control-expose-headers']).toLowerCase().split(/\s*,\s*/)
  for (const header of ['www-authenticate', 'location', 'etag', 'retry-after', 'x-request-id', 'idempotent-replayed', 'ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
    t.ok(exposed.includes(header), `${header} is readable by scripts`)
  }
  const stranger = await app.inject({ url: '/api/books/1', headers: { origin: 'https://evil.example.net' } })
  t.equal(stranger.headers['access-control-allow-origin'], undefined, 'another origin is not let in')
})
