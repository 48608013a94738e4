import t from 'tap'
import { build, createBook, createUser, type TestApp } from '../helpers/index.js'

const metricsToken = 'a-scrape-token-of-some-length'

async function scrape (app: TestApp, headers: Record<string, string> = {}): Promise<string> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers })
  if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}: ${response.body}`)
  return response.body
}

/** The value of one sample, by its metric name and exact label set as Prometheus prints them. */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('requests are counted and timed by route pattern and status, never by raw URL', async (t) => {
  const app = await build(t)
  const owner = await createUser(app)
  const book = await createBook(app, { ownerId: owner.id })
  for (const url of [`/api/books/${book.id}`, `/api/books/${book.id}`, '/api/books/999999', '/api/books/999998']) {
    await app.inject({ method: 'GET', url })
  }
  await app.inject({ method: 'GET', url: '/no/such/route' })

  const text = await scrape(app)
  t.equal(sample(text, 'http_requests_total{method="GET",route="/api/books/:id",status_code="200"}'), 2)
  t.equal(sample(text, 'http_requests_total{method="GET",route="/api/books/:id",status_code="404"}'), 2)
  t.equal(sample(text, 'http_requests_total{method="GET",route="unmatched",status_code="404"}'), 1)
  t.equal(sample(text, 'http_request_duration_seconds_count{method="GET",route="/api/books/:id",status_code="200"}'), 2)
  t.ok((sample(text, 'http_request_duration_seconds_sum{method="GET",route="/api/books/:id",status_code="200"}') ?? 0) > 0, 'a duration was observed')
  t.equal(sample(text, 'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/books/:id",status_code="200"}'), 2)
  t.notMatch(text, /route="\/api\/books\/\d/, 'no raw URL in any label')
})

t.test('the pool, the outbox and the process are reported', async (t) => {
  const app = await build(t)
  const text = await scrape(app)
  for (const state of ['in_use', 'idle', 'waiting']) {
    t.type(sample(text, `db_pool_connections{state="${state}"}`), 'number', `pool ${state}`)
  }
  t.equal(sample(text, 'db_pool_connections{state="waiting"}'), 0)
  for (const status of ['pending', 'sending', 'sent', 'failed']) {
    t.equal(sample(text, `email_outbox_messages{status="${status}"}`), 0, `outbox ${status}`)
  }
  t.type(sample(text, 'process_resident_memory_bytes'), 'number', 'process metrics')
  t.type(sample(text, 'nodejs_eventloop_lag_seconds'), 'number', 'event-loop metrics')
})

t.test('429 refusals are counted by route, and /metrics itself is never limited or documented', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '2' } })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url: '/api/authors' })).statusCode)
  t.same(statuses, [200, 200, 429, 429])
  let text = ''
  for (let i = 0; i < 4; i++) text = await scrape(app)
  t.equal(sample(text, 'rate_limited_requests_total{route="/api/authors"}'), 2)
  t.equal(sample(text, 'http_requests_total{method="GET",route="/api/authors",status_code="429"}'), 2)
  const document = await app.inject({ method: 'GET', url: '/docs/json' })
  t.notOk('/metrics' in document.json().paths, 'not in the public OpenAPI document')
})

t.test('with METRICS_TOKEN set, the scrape needs it as a Bearer token', async (t) => {
  const app = await build(t, { env: { METRICS_TOKEN: metricsToken } })
  for (const headers of [{}, { authorization: 'Bearer wrong-token-of-some-length' }, { authorization: metricsToken }, { authorization: `Basic ${metricsToken}` }]) {
    const refused = await app.inject({ method: 'GET', url: '/metrics', headers })
    t.equal(refused.statusCode, 401, JSON.stringify(headers))
    t.match(refused.headers['content-type'], /^application\/problem\+json/)
    t.match(refused.json(), { code: 'UNAUTHENTICATED' })
  }
  const text = await scrape(app, { authorization: `Bearer ${metricsToken}` })
  t.match(text, /^# HELP http_requests_total/m)
  t.equal(sample(text, 'http_requests_total{method="GET",route="/metrics",status_code="401"}'), 4)
})
