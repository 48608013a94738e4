import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { createOrPromoteAdmin } from '../../src/cli/create-admin.js'
import { users } from '../../src/db/schema/index.js'
import { build, childEnv, createUser, testPassword } from '../helpers/index.js'

const run = promisify(execFile)

t.test('npm run admin:create creates a verified admin who can log in', async (t) => {
  const app = await build(t)
  const { stdout } = await run('npm', ['run', '--silent', 'admin:create', '--', '--email', 'Chief@Example.com', '--password', 'a long and unusual passphrase'], {
    env: childEnv({ DATABASE_URL: app.config.DATABASE_URL, NODE_ENV: 'test' })
  })
  t.match(stdout, /Created the admin/)
  const [admin] = await app.db.select().from(users).where(eq(users.email, 'chief@example.com'))
  t.match(admin, { role: 'admin' })
  t.ok(admin?.emailVerifiedAt, 'verified')
  const login = await app.inject({ method: 'POST', url: '/api/token', payload: { email: 'chief@example.com', password: 'a long and unusual passphrase' } })
  t.equal(login.statusCode, 200)
})

t.test('an existing user is promoted and verified, keeping the password', async (t) => {
  const app = await build(t)
  const reader = await createUser(app, { verified: false })
  t.equal(await createOrPromoteAdmin(app.db, { email: reader.email.toUpperCase(), password: 'ignored for promotion' }), 'promoted')
  const [promoted] = await app.db.select().from(users).where(eq(users.id, reader.id))
  t.equal(promoted?.role, 'admin')
  t.ok(promoted?.emailVerifiedAt)
  const login = await app.inject({ method: 'POST', url: '/api/token', payload: { email: reader.email, password: testPassword } })
  t.equal(login.statusCode, 200)
})

t.test('a weak password or a bad email is refused and nothing is written', async (t) => {
  const app = await build(t)
  await t.rejects(createOrPromoteAdmin(app.db, { email: 'boss@example.com', password: 'password' }), /too common/)
  await t.rejects(createOrPromoteAdmin(app.db, { email: 'not-an-email', password: 'a long and unusual passphrase' }), /Not an email/)
  t.same(await app.db.select().from(users), [])
})

t.test('--help explains the command; missing options print the same usage and fail', async (t) => {
  const { stdout } = await run('npm', ['run', '--silent', 'admin:create', '--', '--help'], { env: childEnv() })
  t.match(stdout, /Usage: npm run admin:create -- --email <email> --password <password>/)
  await t.rejects(run('npm', ['run', '--silent', 'admin:create', '--', '--email', 'boss@example.com'], { env: childEnv() }), { code: 1, stderr: /Usage: npm run admin:create/ })
})
