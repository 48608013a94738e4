/**
 * Faults from outside: the database stopped under load and started again (a PRIVATE MariaDB on its own
 * port and data directory, never the shared one), Redis stopped mid-run (a private redis-server), and
 * transactions failing half-way through (a trigger makes the database refuse the last write).
 * SIGTERM under load (beyond test/server.test.ts's single request): answered requests match the rows.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import mysql from 'mysql2/promise'
import t, { type Test } from 'tap'
import { authors, books, borrows, reviews } from '../../src/db/schema/index.js'
import { migrateDatabase } from '../../src/db/migrate.js'
import { build, createUser, startServerProcess } from '../helpers/index.js'

const mariadbd = process.env.MARIADBD_PATH ?? '/usr/sbin/mariadbd'
const installDb = process.env.MARIADB_INSTALL_DB_PATH ?? 'mariadb-install-db'
const redisServer = process.env.REDIS_SERVER_PATH ?? 'redis-server'

async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until (condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await sleep(50)
}

async function run (command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => { output += String(chunk) })
  child.stderr.on('data', (chunk) => { output += String(chunk) })
  const [code] = await once(child, 'exit') as [number | null]
  if (code !== 0) throw new Error(`${command} exited with ${String(code)}:\n${output}`)
}

async function stop (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}

/** A MariaDB of the test's own: its own data directory, socket and port; removed when the test ends. */
async function privateMariadb (t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'bookstore-faults-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const datadir = join(dir, 'data')
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : []
  await run(installDb, ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot])
  const port = await freePort()
  let child: ChildProcess | undefined
  t.teardown(async () => { if (child !== undefined) await stop(child, 'SIGKILL') })

  const start = async () => {
    child = spawn(mariadbd, [
      '--no-defaults', `--datadir=${datadir}`, `--socket=${join(dir, 'sock')}`, `--pid-file=${join(dir, 'pid')}`,
      `--port=${port}`, '--bind-address=127.0.0.1', '--skip-log-bin', '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M', '--skip-name-resolve', ...asRoot
    ], { stdio: 'ignore' })
    const deadline = Date.now() + 30_000
    for (;;) {
      try {
        const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 })
        await connection.end()
        return
      } catch (error) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`private MariaDB did not start: ${String(error)}`)
        await sleep(100)
      }
    }
  }
  await start()
  return {
    url: `mysql://root@127.0.0.1:${port}/bookstore_faults`,
    port,
    start,
    stop: async () => { if (child !== undefined) await stop(child) },
    /** SIGSTOP freezes the server with its sockets open: nothing refuses, nothing answers. */
    signal: (signal: NodeJS.Signals) => { child?.kill(signal) }
  }
}

interface Sample {
  /** The phase when the request was sent, and when its answer came. */
  phase: string
  endPhase: string
  route: string
  status: number
  code: string | undefined
  ms: number
}

/**
 * Keeps `workers` clients sending requests until stopped, over real HTTP with a 10 s client timeout
 * (a request that hangs shows up as status 0 and its time).
 */
function startLoad (baseUrl: string, routes: Array<{ route: string, init?: RequestInit }>, workers = 6) {
  const samples: Sample[] = []
  let phase = 'up'
  const control = { running: true }
  const loops = Array.from({ length: workers }, async (_unused, worker) => {
    for (let i = worker; control.running; i++) {
      const { route, init } = routes[i % routes.length] ?? { route: '/health' }
      const started = performance.now()
      const current = phase
      let status = 0
      let code: string | undefined
      try {
        const response = await fetch(`${baseUrl}${route}`, { ...init, signal: AbortSignal.timeout(10_000) })
        status = response.status
        const text = await response.text()
        if (status >= 400) code = (JSON.parse(text) as { code?: string }).code
      } catch {
        status = 0
      }
      samples.push({ phase: current, endPhase: phase, route, status, code, ms: performance.now() - started })
      await sleep(5)
    }
  })
  return {
    samples,
    setPhase: (next: string) => { phase = next },
    stop: async () => { control.running = false; await Promise.all(loops) }
  }
}

const summary = (samples: Sample[]) => {
  const counts = new Map<string, number>()
  for (const sample of samples) {
    const key = `${sample.status}${sample.code === undefined ? '' : ` ${sample.code}`}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return JSON.stringify(Object.fromEntries(counts))
}

t.test('the database stopped under load: 503 fast, /ready 503; started again: the API recovers by itself', async (t) => {
  const database = await privateMariadb(t)
  await migrateDatabase(database.url)
  // build() also fails the test on any 503 a route does not declare in its schema.
  const app = await build(t, { databaseUrl: database.url, env: { RATE_LIMIT_MAX: '100000' } })
  const user = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const created = await app.inject({ method: 'POST', url: '/api/books', headers: admin.headers, payload: { title: 'Kindred', isbn: '9780807083697', publicationYear: 1979, author: 'Octavia E. Butler', totalCopies: 1000 } })
  t.equal(created.statusCode, 201)
  const bookId = created.json<{ id: number }>().id
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  const baseUrl = `http://127.0.0.1:${address.port}`

  const auth = { headers: { authorization: user.headers.authorization } }
  const load = startLoad(baseUrl, [
    { route: '/api/books' },
    { route: `/api/books/${bookId}` },
    { route: '/api/me', init: auth },
    { route: '/api/borrows', init: auth },
    { route: '/api/authors?q=butler' },
    { route: `/api/favorites/${bookId}`, init: { ...auth, method: 'POST' } },
    { route: `/api/favorites/${bookId}`, init: { ...auth, method: 'DELETE' } }
  ])
  const by = (phase: string) => load.samples.filter((sample) => sample.phase === phase && sample.endPhase === phase)
  // Phases last until enough answers came back (a loaded CI machine is slow), at most 20 s each.
  await until(() => by('up').length >= 15)

  load.setPhase('stopping')
  await database.stop()
  load.setPhase('down')
  await until(() => by('down').length >= 25)
  const readyDown = await fetch(`${baseUrl}/ready`, { signal: AbortSignal.timeout(5000) })
  t.equal(readyDown.status, 503, '/ready answers 503 while the database is down')
  t.match(await readyDown.json(), { code: 'SERVICE_UNAVAILABLE', detail: /database/i })
  const health = await fetch(`${baseUrl}/health`)
  t.equal(health.status, 200, '/health: the process is still up')
  const started = performance.now()
  const direct = await fetch(`${baseUrl}/api/books`, { signal: AbortSignal.timeout(5000) })
  t.equal(direct.status, 503)
  t.equal(direct.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  t.ok(direct.headers.get('retry-after'), 'Retry-After tells clients when to come back')
  t.match(await direct.json(), { code: 'SERVICE_UNAVAILABLE', status: 503 })
  t.ok(performance.now() - started < 3000, 'a refused request answers at once')

  load.setPhase('restarting')
  await database.start()
  const deadline = Date.now() + 15_000
  let readyAgain = 0
  while (Date.now() < deadline) {
    readyAgain = (await fetch(`${baseUrl}/ready`)).status
    if (readyAgain === 200) break
    await sleep(200)
  }
  t.equal(readyAgain, 200, '/ready recovers once the database is back, without restarting the API')
  load.setPhase('recovered')
  await until(() => by('recovered').length >= 25)
  await load.stop()

  t.comment(`up ${summary(by('up'))}; stopping ${summary(by('stopping'))}; down ${summary(by('down'))}; restarting ${summary(by('restarting'))}; recovered ${summary(by('recovered'))}`)
  const ok = (sample: Sample) => sample.status >= 200 && sample.status < 300
  const favouriteRace = (sample: Sample) => sample.route.startsWith('/api/favorites') && [404, 409].includes(sample.status)
  t.ok(by('up').length >= 15 && by('up').every((sample) => ok(sample) || favouriteRace(sample)), `before: everything served (${summary(by('up'))})`)
  const down = by('down')
  t.ok(down.length >= 25, `${down.length} requests while the database was down`)
  t.same(down.filter((sample) => sample.status !== 503 || sample.code !== 'SERVICE_UNAVAILABLE'), [], 'while down: every request 503 SERVICE_UNAVAILABLE')
  const all = load.samples
  t.same(all.filter((sample) => sample.status === 0), [], 'no request hung or lost its connection')
  t.same(all.filter((sample) => sample.status >= 500 && sample.status !== 503), [], 'never a 500, even while the database went away mid-query')
  const slowest = Math.max(...[...by('stopping'), ...down].map((sample) => sample.ms))
  t.ok(slowest < 3000, `requests fail fast (slowest ${slowest.toFixed(0)} ms while stopping or down)`)
  const recovered = by('recovered')
  t.ok(recovered.length >= 25 && recovered.every((sample) => ok(sample) || favouriteRace(sample)), `after: everything served again (${summary(recovered)})`)
  const borrowed = await app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId } })
  t.equal(borrowed.statusCode, 201, 'writes work again')
})

t.test('the database frozen (SIGSTOP): every request answers 503 within DB_TIMEOUT_MS + 1 s; thawed (SIGCONT): all succeed within 2 s', async (t) => {
  const timeoutMs = 1000
  const database = await privateMariadb(t)
  await migrateDatabase(database.url)
  const app = await build(t, { databaseUrl: database.url, env: { RATE_LIMIT_MAX: '100000', DB_TIMEOUT_MS: String(timeoutMs) } })
  const user = await createUser(app)
  const created = await app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: { title: 'Dawn', isbn: '9780446603775', publicationYear: 1987, author: 'Octavia E. Butler', totalCopies: 1000 } })
  t.equal(created.statusCode, 201)
  const bookId = created.json<{ id: number }>().id
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  const baseUrl = `http://127.0.0.1:${address.port}`
  const auth = { authorization: user.headers.authorization, 'content-type': 'application/json' }
  // Reads, a read behind the bearer check, a write in a transaction and a write under a named lock.
  const routes: Array<{ route: string, init?: RequestInit }> = [
    { route: '/api/books' },
    { route: `/api/books/${bookId}` },
    { route: '/api/me', init: { headers: auth } },
    { route: '/api/borrows', init: { method: 'POST', headers: auth, body: JSON.stringify({ bookId }) } },
    { route: '/api/books', init: { method: 'POST', headers: auth, body: JSON.stringify({ title: 'Frozen', isbn: '9780306406157', publicationYear: 2000, author: 'Someone New' }) } }
  ]
  const send = async ({ route, init }: { route: string, init?: RequestInit }) => {
    const started = performance.now()
    try {
      const response = await fetch(`${baseUrl}${route}`, { ...init, signal: AbortSignal.timeout(10_000) })
      const body = await response.text()
      return { route, status: response.status, retryAfter: response.headers.get('retry-after'), code: response.status >= 400 ? (JSON.parse(body) as { code?: string }).code : undefined, ms: performance.now() - started }
    } catch {
      return { route, status: 0, retryAfter: null, code: undefined, ms: performance.now() - started }
    }
  }

  database.signal('SIGSTOP')
  t.teardown(() => database.signal('SIGCONT'))
  // More requests at once than the pool has connections, so some wait for one and time out there.
  const frozen = await Promise.all(Array.from({ length: 30 }, (_unused, i) => send(routes[i % routes.length] ?? { route: '/api/books' })))
  const slowest = Math.max(...frozen.map((answer) => answer.ms))
  t.same(frozen.filter((answer) => answer.status !== 503 || answer.code !== 'SERVICE_UNAVAILABLE' || answer.retryAfter === null), [], 'every request: 503 SERVICE_UNAVAILABLE with Retry-After')
  t.ok(slowest < timeoutMs + 1000, `every answer within DB_TIMEOUT_MS + 1 s (slowest ${slowest.toFixed(0)} ms)`, { slow: frozen.filter((answer) => answer.ms > timeoutMs + 500) })
  const second = await Promise.all(routes.map(send))
  t.ok(second.every((answer) => answer.status === 503 && answer.ms < timeoutMs + 1000), `still frozen: 503 fast again (${second.map((answer) => answer.ms.toFixed(0)).join(', ')} ms)`)

  database.signal('SIGCONT')
  const thawed = performance.now()
  let answers = await Promise.all(routes.map(send))
  while (answers.some((answer) => answer.status >= 500 || answer.status === 0) && performance.now() - thawed < 10_000) {
    await sleep(50)
    answers = await Promise.all(routes.map(send))
  }
  const recovery = performance.now() - thawed
  t.same(answers.filter((answer) => answer.status >= 400), [], 'thawed: every route succeeds')
  t.ok(recovery < 2000, `all succeed again within 2 s of SIGCONT (${recovery.toFixed(0)} ms)`)
})

t.test('Redis stopped mid-run: requests never hang (limits are skipped), /ready says so, and it reconnects', async (t) => {
  const port = await freePort()
  const startRedis = async () => {
    const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' })
    t.teardown(() => stop(child, 'SIGKILL'))
    const deadline = Date.now() + 10_000
    for (;;) {
      const reachable = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        socket.once('connect', () => { socket.destroy(); resolve(true) })
        socket.once('error', () => resolve(false))
      })
      if (reachable) return child
      if (Date.now() > deadline) throw new Error('redis-server did not start')
      await sleep(100)
    }
  }
  let redis = await startRedis()
  const app = await build(t, { env: { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_MAX: '100000' } })
  const ready = await app.inject('/ready')
  t.match(ready.json(), { status: 'ready', checks: { database: 'up', redis: 'up' } }, '/ready counts Redis as a dependency')
  const limited = await app.inject('/api/books')
  t.equal(limited.statusCode, 200)
  t.equal(limited.headers['x-ratelimit-limit'], '100000', 'limits counted in Redis')

  await stop(redis, 'SIGKILL')
  const timings: number[] = []
  const statuses: number[] = []
  await Promise.all(Array.from({ length: 30 }, async (_unused, i) => {
    const started = performance.now()
    const response = await app.inject(i % 3 === 0 ? '/api/authors' : '/api/books')
    timings.push(performance.now() - started)
    statuses.push(response.statusCode)
  }))
  t.same([...new Set(statuses)], [200], 'requests are served while Redis is down')
  t.ok(Math.max(...timings) < 3000, `no request waits on Redis (slowest ${Math.max(...timings).toFixed(0)} ms)`)
  const started = performance.now()
  const readyDown = await app.inject('/ready')
  t.equal(readyDown.statusCode, 503)
  t.match(readyDown.json(), { code: 'SERVICE_UNAVAILABLE', detail: /redis/i })
  t.ok(performance.now() - started < 3000, '/ready answers quickly')

  redis = await startRedis()
  const deadline = Date.now() + 10_000
  let status = 0
  while (Date.now() < deadline) {
    status = (await app.inject('/ready')).statusCode
    if (status === 200) break
    await sleep(200)
  }
  t.equal(status, 200, 'Redis back: ready again without a restart')
})

t.test('a transaction failing half-way leaves nothing behind', async (t) => {
  const app = await build(t)
  const user = await createUser(app)
  const created = await app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: { title: 'Dawn', isbn: '9780446603775', publicationYear: 1987, author: 'Octavia E. Butler', totalCopies: 2 } })
  t.equal(created.statusCode, 201)
  const bookId = created.json<{ id: number }>().id
  const trigger = async (name: string, timing: string) => {
    await app.pool.query(`CREATE TRIGGER ${name} ${timing} FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused for the test'`)
    return async () => { await app.pool.query(`DROP TRIGGER IF EXISTS ${name}`) }
  }
  const state = async () => ({
    book: (await app.db.select({ available: books.availableCopies, borrowed: books.borrowedCopies, reviewCount: books.reviewCount, ratingSum: books.ratingSum }).from(books).where(eq(books.id, bookId)))[0],
    borrows: await app.db.select().from(borrows),
    reviews: await app.db.select().from(reviews),
    authors: (await app.db.select().from(authors)).length,
    books: (await app.db.select({ id: books.id }).from(books)).length
  })
  const refused = (response: { statusCode: number, body: string, json: () => unknown }, what: string) => {
    t.equal(response.statusCode, 500, `${what}: 500`)
    t.match(response.json(), { code: 'INTERNAL' })
    t.notMatch(response.body, /refused for the test|SIGNAL|INSERT|UPDATE/i, 'no SQL reaches the client')
  }

  // Borrow: the copy is taken from the shelf, then the borrow row is refused.
  let before = await state()
  let drop = await trigger('borrows_refuse', 'BEFORE INSERT ON borrows')
  refused(await app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId } }), 'borrow')
  refused(await app.inject({ method: 'POST', url: `/api/books/${bookId}/borrow`, headers: user.headers }), 'borrow by book')
  t.same(await state(), before, 'borrow: the copy is back on the shelf, no borrow row')
  await drop()

  // Return: the borrow is marked returned, then the book update is refused.
  const borrowed = await app.inject({ method: 'POST', url: '/api/borrows', headers: user.headers, payload: { bookId } })
  t.equal(borrowed.statusCode, 201)
  before = await state()
  drop = await trigger('books_refuse_update', 'BEFORE UPDATE ON books')
  refused(await app.inject({ method: 'POST', url: `/api/borrows/${borrowed.json<{ id: number }>().id}/return`, headers: user.headers }), 'return')
  t.same(await state(), before, 'return: the borrow is still open, the copy still out')

  // Review: the review row goes in, then the book's rating aggregate is refused.
  refused(await app.inject({ method: 'POST', url: '/api/book/review', headers: user.headers, payload: { bookId, rating: 4 } }), 'review')
  t.same(await state(), before, 'review: no review row, the aggregates unchanged')
  await drop()

  // A book with a new author by name: the author goes in, then the book is refused.
  before = await state()
  drop = await trigger('books_refuse_insert', 'BEFORE INSERT ON books')
  refused(await app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: { title: 'Parable of the Sower', isbn: '9780446675505', publicationYear: 1993, author: 'A New Author Nobody Has' } }), 'book with a new author')
  t.same(await state(), before, 'no orphan author, no book')
  await drop()

  const returned = await app.inject({ method: 'POST', url: `/api/borrows/${borrowed.json<{ id: number }>().id}/return`, headers: user.headers })
  t.equal(returned.statusCode, 200, 'with the fault gone the same request succeeds')
})

t.test('SIGTERM under load: every request the server took is answered, and rows match the answers', async (t) => {
  // A second app on the same database prepares the data and signs tokens (same JWT secret).
  const setup = await build(t)
  const url = setup.config.DATABASE_URL
  const owner = await createUser(setup)
  const created = await setup.inject({ method: 'POST', url: '/api/books', headers: owner.headers, payload: { title: 'Bloodchild', isbn: '9781583226988', publicationYear: 1995, author: 'Octavia E. Butler', totalCopies: 100 } })
  t.equal(created.statusCode, 201)
  const bookId = created.json<{ id: number }>().id
  const borrowers = await Promise.all(Array.from({ length: 24 }, async () => await createUser(setup)))

  const { child, port } = await startServerProcess(t, url, { RATE_LIMIT_MAX: '100000' })

  const answers = borrowers.map(async (borrower) => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/borrows`, {
        method: 'POST',
        headers: { ...borrower.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ bookId }),
        signal: AbortSignal.timeout(15_000)
      })
      return response.status
    } catch {
      return 0 // never reached the server's handler (refused once it stopped accepting)
    }
  })
  await sleep(30)
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const statuses = await Promise.all(answers)
  const [code] = await exited as [number | null]
  t.equal(code, 0, 'a clean exit')
  t.comment(`answers: ${JSON.stringify(statuses)}`)
  t.same(statuses.filter((status) => status >= 500 && status !== 503), [], 'no 500 while shutting down')
  const rows = await setup.db.select().from(borrows).where(eq(borrows.bookId, bookId))
  t.equal(rows.length, statuses.filter((status) => status === 201).length, 'a borrow row for each 201, none for anything else')
  const [book] = await setup.db.select().from(books).where(eq(books.id, bookId))
  t.equal(book?.borrowedCopies, rows.length, 'copies out match the borrow rows')
  t.equal((book?.availableCopies ?? 0) + (book?.borrowedCopies ?? 0), 100, 'no copy lost or doubled')
})
