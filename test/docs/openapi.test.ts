import { readFile } from 'node:fs/promises'
import t from 'tap'
import { build } from '../helpers/index.js'

t.test('the committed openapi.json is the document the app serves', async (t) => {
  const app = await build(t)
  const committed = JSON.parse(await readFile(new URL('../../openapi.json', import.meta.url), 'utf8'))
  const served = (await app.inject('/docs/json')).json()
  t.same(served, committed, 'run `npm run openapi` and commit openapi.json')
})

t.test('every operation has a summary, tags, security, an operationId and its error responses', async (t) => {
  const app = await build(t)
  const document = (await app.inject('/docs/json')).json()
  t.match(document.components.schemas.Problem, { title: 'Problem', type: 'object' }, 'shared schemas keep their names')
  const operationIds = new Set<string>()
  for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`
      t.ok(typeof operation.summary === 'string' && operation.summary.length > 0, `${where} has a summary`)
      t.ok(Array.isArray(operation.tags) && operation.tags.length > 0, `${where} has tags`)
      t.ok(Array.isArray(operation.security), `${where} states its security`)
      t.notOk(operationIds.has(String(operation.operationId)), `${where} has a unique operationId`)
      operationIds.add(String(operation.operationId))
      const responses = operation.responses as Record<string, { content?: Record<string, unknown> }>
      t.ok(responses['500']?.content?.['application/json'] !== undefined || responses['500'] !== undefined, `${where} documents 500`)
      if ((operation.security as unknown[]).length > 0) t.ok(responses['401'], `${where} documents 401`)
    }
  }
})

t.test('Swagger UI is served at /docs', async (t) => {
  const app = await build(t)
  const response = await app.inject('/docs/')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /text\/html/)
  t.match(response.body, /swagger-ui/i)
})

t.test('the verification link lists the pages it sends browsers beside its JSON', async (t) => {
  const app = await build(t)
  const document = (await app.inject('/docs/json')).json()
  const page = await app.inject({ url: '/api/verify-email/not-a-token', headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 400)
  t.match(page.headers['content-type'], /^text\/html/)
  for (const method of ['get', 'post']) {
    const responses = document.paths['/api/verify-email/{token}'][method].responses
    t.same(Object.keys(responses['200'].content), ['application/json', 'text/html'], `${method} 200`)
    t.same(Object.keys(responses['400'].content), ['application/problem+json', 'text/html'], `${method} 400`)
  }
})
