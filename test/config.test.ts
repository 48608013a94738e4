import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { childEnv } from './helpers/index.js'

const load = (env: Record<string, string>) => loadConfig({ env, dotenv: false })

t.test('defaults follow the contract', async (t) => {
  const config = load({})
  t.match(config, {
    PORT: 3000,
    HOST: '0.0.0.0',
    DATABASE_URL: 'mysql://root@127.0.0.1:3306/bookstore',
    ACCESS_TOKEN_TTL: 900,
    REFRESH_TOKEN_TTL: 604800,
    PUBLIC_URL: 'http://localhost:3000',
    MAIL_FROM: 'Bookstore <no-reply@localhost>',
    RATE_LIMIT_MAX: 300,
    AUTH_RATE_LIMIT_MAX: 10,
    LOGIN_FAILURE_LIMIT: 10,
    LOGIN_FAILURE_WINDOW_SECONDS: 900,
    RATE_LIMIT_KEY_PREFIX: 'bookstore-rl:',
    BORROW_RATE_LIMIT_PER_HOUR: 10,
    MAX_OPEN_BORROWS: 5,
    LOAN_DAYS: 14,
    DUE_SOON_DAYS: 2,
    NOTICE_INTERVAL_SECONDS: 300,
    UPLOAD_DIR: './var/uploads',
    MAX_UPLOAD_BYTES: 20971520,
    LOG_LEVEL: 'info'
  })
  t.ok(config.JWT_SECRET.length >= 32, 'a random development secret')
  t.not(load({}).JWT_SECRET, config.JWT_SECRET, 'per process, never a fixed default')
})

t.test('values are converted and derived ones follow', async (t) => {
  const config = load({ PORT: '8080', LOAN_DAYS: '7', PUBLIC_URL: 'https://books.example.com/', CORS_ORIGINS: 'https://a.example' })
  t.equal(config.PORT, 8080)
  t.equal(config.LOAN_DAYS, 7)
  t.equal(config.PUBLIC_URL, 'https://books.example.com', 'trailing slash trimmed')
  t.equal(load({ PORT: '8080' }).PUBLIC_URL, 'http://localhost:8080')
})

t.test('a bad or missing value is refused with a message naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT must be integer/],
    [{ PORT: '70000' }, /PORT must be <= 65535/],
    [{ DATABASE_URL: 'postgres://localhost/db' }, /DATABASE_URL must match/],
    [{ JWT_SECRET: 'too-short' }, /JWT_SECRET must be at least 32 bytes/],
    [{ JWT_SECRET: 'x'.repeat(31) }, /JWT_SECRET must be at least 32 bytes/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET is required/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be equal to one of the allowed values/],
    [{ MAX_OPEN_BORROWS: '0' }, /MAX_OPEN_BORROWS must be >= 1/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must match/],
    [{ PUBLIC_URL: 'not a url' }, /PUBLIC_URL must match/]
  ]
  for (const [env, message] of cases) {
    t.throws(() => load(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
})

t.test('production accepts a strong secret, its length counted in bytes', async (t) => {
  const config = load({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })
  t.equal(config.JWT_SECRET, 'x'.repeat(32))
  const multibyte = 'ключ'.repeat(4) // 16 characters, 32 bytes in UTF-8
  t.equal(load({ NODE_ENV: 'production', JWT_SECRET: multibyte }).JWT_SECRET, multibyte)
})

t.test('the server stops at start-up with the variable named', async (t) => {
  const run = promisify(execFile)
  const failure = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: childEnv({ PORT: 'not-a-port', NODE_ENV: 'test' })
  }).then(() => undefined, (error: { code: number, stderr: string }) => error)
  t.ok(failure, 'the process exits with an error')
  t.equal(failure?.code, 1)
  t.match(failure?.stderr, /Invalid configuration: PORT must be integer/)
})
