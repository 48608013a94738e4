import t from 'tap'
import { build } from '../helpers/index.js'

t.test('every route with a path parameter declares the 414 it answers to an overlong segment', async (t) => {
  const app = await build(t)
  const withParams = Object.entries(app.swagger().paths ?? {}).filter(([path]) => path.includes('{'))
  t.ok(withParams.length > 10)
  for (const [path, item] of withParams) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue
      t.ok(Object.keys(operation.responses ?? {}).includes('414'), `${method.toUpperCase()} ${path}`)
    }
  }
  const response = await app.inject(`/api/books/${'1'.repeat(300)}`)
  t.equal(response.statusCode, 414)
  t.equal(response.json().code, 'URI_TOO_LONG')
})
