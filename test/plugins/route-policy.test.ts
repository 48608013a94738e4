import { Type } from '@sinclair/typebox'
import t from 'tap'
import { build } from '../helpers/index.js'

const Ok = Type.Object({ ok: Type.Boolean() })

t.test('a route that does not say who may call it stops the app from starting', async (t) => {
  await t.rejects(build(t, { routes: (app) => { app.get('/probe/unstated', { schema: { response: { 200: Ok } } }, async () => ({ ok: true })) } }),
    /GET \/probe\/unstated: config\.auth must say who may call the route/)
})

t.test('a route that states its own security beside its policy stops the app from starting', async (t) => {
  await t.rejects(build(t, {
    routes: (app) => { app.get('/probe/twice', { config: { auth: 'public' }, schema: { security: [], response: { 200: Ok } } }, async () => ({ ok: true })) }
  }), /security follows from config\.auth/)
})

t.test('a per-user bucket on a public route stops the app from starting', async (t) => {
  await t.rejects(build(t, {
    routes: (app) => { app.post('/probe/borrow', { config: { auth: 'public', limit: 'borrow' }, schema: { response: { 200: Ok } } }, async () => ({ ok: true })) }
  }), /per-user bucket borrow needs a caller/)
})

t.test('the policy documents who may call: bearer security with 401, and 403 where a role or a verified email is needed', async (t) => {
  const app = await build(t, {
    routes: (app) => {
      for (const auth of ['public', 'bearer', 'verified', 'admin'] as const) {
        app.get(`/probe/${auth}`, { config: { auth }, schema: { response: { 200: Ok } } }, async () => ({ ok: true }))
      }
    }
  })
  const document = app.swagger() as { paths: Record<string, { get: { security: unknown[], responses: Record<string, unknown> } }> }
  const operation = (auth: string) => document.paths[`/probe/${auth}`]?.get
  t.same(operation('public')?.security, [])
  t.notOk(operation('public')?.responses['401'])
  t.same(operation('bearer')?.security, [{ bearerAuth: [] }])
  t.ok(operation('bearer')?.responses['401'])
  t.notOk(operation('bearer')?.responses['403'])
  for (const auth of ['verified', 'admin']) {
    t.same(operation(auth)?.security, [{ bearerAuth: [] }])
    t.ok(operation(auth)?.responses['401'] !== undefined && operation(auth)?.responses['403'] !== undefined, `${auth} documents 401 and 403`)
  }
  t.equal((await app.inject('/probe/public')).statusCode, 200)
  t.equal((await app.inject('/probe/bearer')).json().code, 'UNAUTHENTICATED', 'a token is required')
  t.equal((await app.inject({ method: 'HEAD', url: '/probe/admin' })).statusCode, 401, 'the HEAD twin of a GET has the same policy')
})
