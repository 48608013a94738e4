/**
 * `npm run bench` (node --import tsx test/bench/run.ts): seeds a database, starts the API and a bare
 * Fastify + mysql2 baseline (test/bench/baseline.ts), drives both with autocannon and prints a table,
 * the our/baseline ratios and which performance targets are met. Results go to var/bench/results.json.
 * It only reports: the exit code is 0 unless the harness itself fails.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type autocannon from 'autocannon'
import { seedDatabase, type SeedSummary } from '../../src/cli/seed/write.js'
import { parseDatabaseUrl } from '../../src/db/migrate.js'
import { benchAdminEmail, benchPassword, benchUserEmail, favouriteCount, genres, prepareFixtures, searchPhrases, resetDatabase } from './fixtures.js'
import { load, merge, RssSampler, sequential, withoutTimes, type LoadResult, type SequentialResult } from './load.js'
import { answers, collectGarbage, freePort, loopDelay, startChild, startProfile, stopAll, stopProfile, waitUntilReady, type Child, type LoopDelay } from './processes.js'
import { rateLimitStorm, type RateLimitStormResult } from './rate-limit-storm.js'
import { machine, ms, pick, printTable, ratio, type ScenarioRecord } from './report.js'
import { describeStarts, measureStarts, type StartTimes } from './start.js'
import { evaluateTargets, printTargets } from './targets.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

const usage = `Usage: npm run bench -- [options]

Scale (the database bookstore_bench is dropped and seeded again unless --skip-seed):
  --books N          books (default 2000; the issue's scale: 100000)
  --borrows N        borrows (default 20000; the issue's scale: 1000000)
  --users N          users (default 1000; 20000 at the issue's scale is sensible)
  --authors N        authors (default books / 10, at least 50)
Load:
  --duration S       seconds per scenario (default 10)
  --warmup S         untimed seconds before each scenario (default 2)
  --connections C    connections for the read scenarios (default 64)
  --rounds N         ours and the baseline's are measured in N alternating rounds of duration/N (default 3)
Other:
  --database-url URL default mysql://root@127.0.0.1:3306/bookstore_bench
  --redis-url URL    Redis for the rate-limiter storm (default redis://127.0.0.1:6379; in-memory if it does not answer)
  --skip-seed        reuse the database as it is (same scale as a previous run)
  --skip-build       use dist/ as it is instead of running npm run build
  --only a,b         run only these scenarios (keys as in results.json)
  --cpu-prof         a V8 CPU profile of the API per scenario in var/bench/profiles/<scenario>.cpuprofile
                     (open in Chrome DevTools, or: node --import tsx test/bench/profile-summary.ts <file>)
  --hash-threads N   size the API's bcrypt worker pool to N threads (default: the cores)
  --hash-on-loop     run bcrypt on the API's event loop, as before the worker pool (for comparison)
  --node-options S   extra node flags for the API process, e.g. "--max-semi-space-size=4"
  --out FILE         default var/bench/results.json

Issue scale: npm run bench -- --books 100000 --borrows 1000000 --users 20000`

const { values: flags } = parseArgs({
  options: {
    books: { type: 'string', default: '2000' },
    borrows: { type: 'string', default: '20000' },
    users: { type: 'string', default: '1000' },
    authors: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    'database-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306/bookstore_bench' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'skip-seed': { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'hash-threads': { type: 'string' },
    'hash-on-loop': { type: 'boolean', default: false },
    out: { type: 'string', default: 'var/bench/results.json' },
    'node-options': { type: 'string', default: '' },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

function wholeNumber (name: string, value: string | undefined): number {
  const parsed = Number((value ?? '').replace(/_/g, ''))
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a whole number, not "${value}"`)
  return parsed
}

/** The node flags `npm start` gives the API (e.g. its heap cap), so the bench measures what production runs. */
function startScriptNodeFlags (): string[] {
  const { scripts } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  return (scripts.start ?? '').split(/\s+/).filter((word) => word.startsWith('--'))
}

function build (): void {
  console.log('· npm run build')
  const outcome = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' })
  if (outcome.status === 0) return
  // esbuild writes nothing when a file does not compile, so there is no partial dist/ to benchmark.
  const output = `${outcome.stdout}${outcome.stderr}`.trim().split('\n').slice(-15).join('\n')
  throw new Error(`npm run build failed:\n${output}`)
}

async function login (apiUrl: string, email: string): Promise<string> {
  const response = await fetch(`${apiUrl}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: benchPassword })
  })
  const body = await response.json() as { access?: string }
  if (response.status !== 200 || typeof body.access !== 'string') throw new Error(`login of ${email} answered ${response.status}: ${JSON.stringify(body)}`)
  return body.access
}

async function main (): Promise<void> {
  if (flags.help) {
    console.log(usage)
    return
  }
  const books = wholeNumber('books', flags.books)
  const borrows = wholeNumber('borrows', flags.borrows)
  const users = wholeNumber('users', flags.users)
  const authors = flags.authors === undefined ? Math.max(50, Math.round(books / 10)) : wholeNumber('authors', flags.authors)
  const seconds = wholeNumber('duration', flags.duration)
  const warmup = wholeNumber('warmup', flags.warmup)
  const connections = Math.max(1, wholeNumber('connections', flags.connections))
  const pairRounds = Math.max(1, wholeNumber('rounds', flags.rounds))
  const databaseUrl = flags['database-url']
  const only = flags.only === undefined ? undefined : new Set(flags.only.split(',').map((key) => key.trim()))
  const outFile = resolve(root, flags.out)

  console.log(`Machine: ${JSON.stringify(machine())}`)
  let seedSummary: SeedSummary | undefined
  if (!flags['skip-seed']) {
    console.log(`· seeding ${parseDatabaseUrl(databaseUrl).database}: ${users} users, ${authors} authors, ${books} books, ${borrows} borrows`)
    await resetDatabase(databaseUrl)
    seedSummary = await seedDatabase({ databaseUrl, users, authors, books, borrows, force: true, progress: process.stderr.isTTY === true })
    console.log(`  seeded in ${seedSummary.seconds} s (${seedSummary.deletedBooks} books soft-deleted, ${seedSummary.openBorrows} borrows open)`)
  }
  const fixtures = await prepareFixtures(databaseUrl)
  console.log(`· fixtures: bench user ${fixtures.benchUserId} with ${favouriteCount} favourites, ${fixtures.activeBookIds.length} active books, month ${fixtures.month.from}…${fixtures.month.to} with ${fixtures.month.borrows} borrows`)

  if (!flags['skip-build']) build()

  const baselinePort = await freePort()
  const baselineUrl = `http://127.0.0.1:${baselinePort}`
  const profileDir = resolve(root, 'var/bench/profiles')
  if (flags['cpu-prof']) mkdirSync(profileDir, { recursive: true })
  const huge = '1000000000'
  const hashMode = flags['hash-on-loop'] ? ' (bcrypt on the event loop)' : flags['hash-threads'] === undefined ? '' : ` (bcrypt pool of ${flags['hash-threads']} threads)`
  /** The API as `npm start` runs it (its node flags, production mode), on a free port. */
  const startApi = async (name: string, env: Record<string, string>) => {
    const port = await freePort()
    const child = startChild(name, [
      '--import', pathToFileURL(resolve(root, 'test/bench/probe.js')).href,
      ...startScriptNodeFlags(),
      ...flags['node-options'].split(/\s+/).filter(Boolean),
      'dist/server.js'
    ], {
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'warn',
      WEB_CONCURRENCY: '1',
      ...env
    }, root)
    return { child, url: `http://127.0.0.1:${port}` }
  }
  // Limits raised out of the way: these scenarios measure the work, not the limiter.
  const { child: api, url: apiUrl } = await startApi('API', {
    REDIS_URL: '',
    RATE_LIMIT_MAX: huge,
    AUTH_RATE_LIMIT_MAX: huge,
    BORROW_RATE_LIMIT_PER_HOUR: huge,
    MAX_OPEN_BORROWS: huge,
    BENCH_HASH_THREADS: flags['hash-threads'] === undefined ? '' : String(wholeNumber('hash-threads', flags['hash-threads'])),
    BENCH_HASH_ON_LOOP: flags['hash-on-loop'] ? pathToFileURL(resolve(root, 'dist/modules/accounts/bcrypt-worker.js')).href : ''
  })
  const baseline = startChild('baseline', ['--import', 'tsx', 'test/bench/baseline.ts'], { PORT: String(baselinePort), DATABASE_URL: databaseUrl }, root)
  await Promise.all([waitUntilReady(api, `${apiUrl}/health`), waitUntilReady(baseline, `${baselineUrl}/health`)])
  console.log(`· API pid ${api.pid} on ${apiUrl}${hashMode}, baseline pid ${baseline.pid} on ${baselineUrl}`)

  const rss = new RssSampler(api.pid)
  const profile = async (key: string, work: () => Promise<void>) => {
    const profiling = flags['cpu-prof'] && !key.startsWith('baseline') && await startProfile(api)
    try {
      await work()
    } finally {
      if (profiling) await stopProfile(api, resolve(profileDir, `${key}.cpuprofile`))
    }
  }
  rss.start()
  const idleRssMb = rss.read()

  let userToken: string | undefined
  let adminToken: string | undefined
  const setupErrors: string[] = []
  try { userToken = await login(apiUrl, benchUserEmail) } catch (error) { setupErrors.push(String(error)) }
  try { adminToken = await login(apiUrl, benchAdminEmail) } catch (error) { setupErrors.push(String(error)) }
  for (const problem of setupErrors) console.warn(`! ${problem}`)

  const scenarios: Record<string, ScenarioRecord> = {}
  const randomBook = () => pick(fixtures.activeBookIds)
  const bookRead: autocannon.Request[] = [{ method: 'GET', path: '/api/books/1', setupRequest: (request) => ({ ...request, path: `/api/books/${randomBook()}` }) }]
  const listPath = () => `/api/books?genre=${encodeURIComponent(pick(genres))}&sort=-rating&pageSize=20`
  let nextBorrowable = 0
  const takeBorrowable = () => fixtures.borrowableBookIds[nextBorrowable++ % fixtures.borrowableBookIds.length] ?? 1

  interface ScenarioOptions { connections: number, requests: autocannon.Request[], headers?: Record<string, string>, needs?: string | undefined, note?: string, timeoutSeconds?: number }
  interface Planned { key: string, record: ScenarioRecord, target: Child, common: Omit<Parameters<typeof load>[0], 'seconds'>, rounds: LoadResult[], rss: number, loops: LoopDelay[] }

  /** Registers a scenario; undefined when it is filtered out by --only or cannot run (recorded as such). */
  function plan (key: string, label: string, target: Child, url: string, options: ScenarioOptions): Planned | undefined {
    if (only !== undefined && !only.has(key)) return undefined
    const record: ScenarioRecord = { label, target: target === api ? 'api' : 'baseline', ...(options.note === undefined ? {} : { note: options.note }) }
    scenarios[key] = record
    if (options.needs !== undefined) {
      record.error = options.needs
      console.log(`  ${label}: skipped (${options.needs})`)
      return undefined
    }
    const common = { url, connections: options.connections, requests: options.requests, headers: options.headers ?? {}, timeoutSeconds: options.timeoutSeconds ?? 10 }
    return { key, record, target, common, rounds: [], rss: 0, loops: [] }
  }

  async function measure (planned: Planned, roundSeconds: number, round: number): Promise<void> {
    rss.takeWindowMax()
    await loopDelay(api)
    await profile(round === 0 ? planned.key : `${planned.key}.${round}`, async () => { planned.rounds.push(await load({ ...planned.common, seconds: roundSeconds })) })
    planned.rss = Math.max(planned.rss, rss.takeWindowMax())
    const loop = planned.target === api ? await loopDelay(api) : undefined
    if (loop !== undefined) planned.loops.push(loop)
  }

  function finish (planned: Planned): void {
    const result = merge(planned.rounds)
    const { record } = planned
    record.result = withoutTimes(result)
    record.maxRssMb = planned.rss
    const last = planned.loops.at(-1)
    if (last !== undefined) {
      record.loopDelay = { p50: Math.max(...planned.loops.map((loop) => loop.p50)), p99: Math.max(...planned.loops.map((loop) => loop.p99)), max: Math.max(...planned.loops.map((loop) => loop.max)), ...(last.memory === undefined ? {} : { memory: last.memory }) }
    }
    const codes = Object.entries(result.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ')
    console.log(`  ${record.label}: ${result.rps.toFixed(0)} req/s, p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms [${codes}]${result.errors + result.timeouts > 0 ? `, ${result.errors} errors ${result.timeouts} timeouts` : ''}`)
  }

  /**
   * Runs scenarios: each is warmed up, then measured. Several given together (ours and the baseline's)
   * are measured in alternating rounds, so that load from anything else on the machine falls on both alike.
   */
  async function run (...entries: (Planned | undefined)[]): Promise<void> {
    const planned = entries.filter((entry): entry is Planned => entry !== undefined)
    const rounds = planned.length > 1 ? pairRounds : 1
    try {
      for (const entry of planned) if (warmup > 0) await load({ ...entry.common, seconds: warmup })
      for (let round = 0; round < rounds; round++) {
        for (const entry of planned) await measure(entry, Math.max(1, Math.round(seconds / rounds)), round)
      }
      for (const entry of planned) finish(entry)
    } catch (error) {
      for (const entry of planned) {
        entry.record.error = error instanceof Error ? error.message : String(error)
        console.log(`  ${entry.record.label}: FAILED ${entry.record.error}`)
      }
    }
  }

  async function scenario (key: string, label: string, target: Child, url: string, options: ScenarioOptions): Promise<void> {
    await run(plan(key, label, target, url, options))
  }

  const bearer = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` })
  const noUser = userToken === undefined ? 'no bench user token (login failed)' : undefined
  const noAdmin = adminToken === undefined ? 'no admin token (login failed)' : undefined
  const writeConnections = Math.min(16, connections)

  console.log(`· load: ${seconds} s per scenario after ${warmup} s of warm-up`)
  await run(
    plan('bookRead', 'GET /api/books/:id', api, apiUrl, { connections, requests: bookRead }),
    plan('baselineBookRead', 'baseline GET /api/books/:id', baseline, baselineUrl, { connections, requests: bookRead })
  )
  await run(
    plan('favorites', 'GET /api/favorites', api, apiUrl, { connections, requests: [{ method: 'GET', path: '/api/favorites' }], headers: bearer(userToken), needs: noUser }),
    plan('baselineFavorites', 'baseline GET /api/favorites', baseline, baselineUrl, { connections, requests: [{ method: 'GET', path: '/api/favorites', headers: { 'x-user-id': String(fixtures.benchUserId) } }] })
  )
  await scenario('bookList', 'GET /api/books?genre&sort=-rating', api, apiUrl, { connections, requests: [{ method: 'GET', path: '/api/books', setupRequest: (request) => ({ ...request, path: listPath() }) }] })
  await scenario('tokenVerify', 'POST /api/token/verify', api, apiUrl, {
    connections,
    requests: [{ method: 'POST', path: '/api/token/verify', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: userToken ?? '' }) }],
    needs: noUser
  })
  await scenario('login', 'POST /api/token (login)', api, apiUrl, {
    connections: writeConnections,
    timeoutSeconds: 30,
    requests: [{ method: 'POST', path: '/api/token', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: benchUserEmail, password: benchPassword }) }],
    needs: noUser
  })
  // The cycle as it is, then with a fresh Idempotency-Key on every request (the key's insert and its answer's update added).
  const cycleRequests = (keyed: boolean): autocannon.Request[] => {
    const withKey = (request: autocannon.Request): autocannon.Request =>
      keyed ? { ...request, headers: { ...request.headers, 'idempotency-key': randomBytes(16).toString('hex') } } : request
    return [
      {
        method: 'POST',
        path: '/api/books/1/borrow',
        setupRequest: (request, context) => {
          const bookId = takeBorrowable()
          ;(context as { bookId?: number }).bookId = bookId
          return withKey({ ...request, path: `/api/books/${bookId}/borrow` })
        }
      },
      {
        method: 'POST',
        path: '/api/books/1/return',
        setupRequest: (request, context) => withKey({ ...request, path: `/api/books/${(context as { bookId?: number }).bookId ?? 1}/return` })
      }
    ]
  }
  for (const keyed of [false, true]) {
    await scenario(keyed ? 'borrowReturnKeyed' : 'borrowReturn', keyed ? 'borrow + return cycle, Idempotency-Key on each' : 'borrow + return cycle', api, apiUrl, {
      connections: writeConnections,
      headers: bearer(userToken),
      needs: noUser ?? (fixtures.borrowableBookIds.length < writeConnections * 4 ? 'too few books with a copy on the shelf' : undefined),
      note: 'each cycle is two requests: POST /api/books/:id/borrow, then POST /api/books/:id/return of the same book',
      requests: cycleRequests(keyed)
    })
  }
  const statsPath = `/api/stats?from=${fixtures.month.from}&to=${fixtures.month.to}`
  await scenario('stats', 'GET /api/stats (a month)', api, apiUrl, { connections: 4, requests: [{ method: 'GET', path: statsPath }], headers: bearer(adminToken), needs: noAdmin })

  // Login storm: the same catalogue reads alone, then beside a crowd of logins.
  const stormReadConnections = Math.min(16, connections)
  const stormLoginConnections = 64
  let storm: { alone?: LoadResult, during?: LoadResult, logins?: LoadResult, loopDuring?: LoopDelay | undefined, error?: string } | undefined
  if (only === undefined || only.has('loginStorm')) {
    storm = {}
    if (noUser !== undefined) {
      storm.error = noUser
    } else {
      try {
        console.log(`· login storm: catalogue reads at ${stormReadConnections} connections, alone then beside ${stormLoginConnections} connections of logins`)
        const readOptions = { url: apiUrl, connections: stormReadConnections, requests: bookRead }
        await load({ ...readOptions, seconds: Math.max(1, warmup) })
        storm.alone = await load({ ...readOptions, seconds })
        await loopDelay(api)
        const logins = load({
          url: apiUrl,
          connections: stormLoginConnections,
          seconds: seconds + 2,
          timeoutSeconds: 60,
          requests: [{ method: 'POST', path: '/api/token', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: benchUserEmail, password: benchPassword }) }]
        })
        // Let the login queue fill before the reads are measured.
        await new Promise((resolve) => setTimeout(resolve, 1000))
        let during: LoadResult | undefined
        await profile('loginStorm', async () => { during = await load({ ...readOptions, seconds }) })
        if (during === undefined) throw new Error('no result')
        storm.during = during
        storm.logins = withoutTimes(await logins)
        storm.alone = withoutTimes(storm.alone)
        storm.during = withoutTimes(storm.during)
        storm.loopDuring = await loopDelay(api)
        console.log(`  catalogue p99 alone ${ms(storm.alone.p99)} ms, during the storm ${ms(storm.during.p99)} ms (${storm.logins.rps.toFixed(1)} logins/s); event loop p99 ${ms(storm.loopDuring?.p99)} ms, max ${ms(storm.loopDuring?.max)} ms`)
      } catch (error) {
        storm.error = error instanceof Error ? error.message : String(error)
        console.log(`  login storm FAILED: ${storm.error}`)
      }
    }
  }

  // Latency with nothing queued: the p95 targets are about the query, not the queue.
  const sequentialResults: Record<string, SequentialResult | { error: string }> = {}
  async function timed (key: string, label: string, count: number, makeRequest: () => { url: string, init?: RequestInit }) {
    if (only !== undefined && !only.has(key)) return
    try {
      const result = await sequential(count, makeRequest)
      sequentialResults[key] = result
      console.log(`  ${label}: p50 ${ms(result.p50)} ms, p95 ${ms(result.p95)} ms, max ${ms(result.max)} ms over ${count} requests [${Object.entries(result.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ')}]`)
    } catch (error) {
      sequentialResults[key] = { error: String(error) }
      console.log(`  ${label}: FAILED ${String(error)}`)
    }
  }
  console.log('· one request at a time (p95 targets)')
  await timed('bookListSequential', 'GET /api/books?genre&sort=-rating', 200, () => ({ url: `${apiUrl}${listPath()}` }))
  await timed('frontPageSequential', 'GET /api/books (the front page: default sort, page 1)', 200, () => ({ url: `${apiUrl}/api/books` }))
  await timed('frontPage500Sequential', 'GET /api/books?page=500 (default sort)', 200, () => ({ url: `${apiUrl}/api/books?page=500` }))
  await timed('searchTwoWordsSequential', 'GET /api/books?q=<two words>', 200, () => ({ url: `${apiUrl}/api/books?q=${encodeURIComponent(pick(searchPhrases))}` }))
  if (adminToken !== undefined) {
    await timed('statsMonthSequential', 'GET /api/stats (a month)', 100, () => ({ url: `${apiUrl}${statsPath}`, init: { headers: bearer(adminToken) } }))
    await timed('statsAllTimeSequential', 'GET /api/stats (all time)', 100, () => ({ url: `${apiUrl}/api/stats`, init: { headers: bearer(adminToken) } }))
  }

  let limiterStorm: RateLimitStormResult | { error: string } | undefined
  if (only === undefined || only.has('rateLimitStorm')) {
    const redisUrl = await answers(flags['redis-url']) ? flags['redis-url'] : undefined
    const limit = 300
    console.log(`· a load test aimed at the rate limiter: a second API with RATE_LIMIT_MAX=${limit}${redisUrl === undefined ? ' (in-memory counters: Redis does not answer)' : ' and Redis'}, ${connections} connections of book reads from one client`)
    try {
      const startLimitedApi = async (env: Record<string, string>) => {
        const started = await startApi('API (limited)', env)
        await waitUntilReady(started.child, `${started.url}/health`)
        return started
      }
      const result = await rateLimitStorm({ startApi: startLimitedApi, redisUrl, limit, connections, seconds, requests: bookRead })
      limiterStorm = result
      const codes = Object.entries(result.load.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ')
      console.log(`  ${result.load.rps.toFixed(0)} req/s, p50 ${ms(result.load.p50)} ms, p99 ${ms(result.load.p99)} ms [${codes}], ${result.load.errors} errors, ${result.load.timeouts} timeouts; /health during it: p50 ${ms(result.health.p50)} ms, p99 ${ms(result.health.p99)} ms`)
    } catch (error) {
      limiterStorm = { error: error instanceof Error ? error.message : String(error) }
      console.log(`  FAILED: ${limiterStorm.error}`)
    }
  }

  let starts: StartTimes | undefined
  if (only === undefined || only.has('start')) {
    console.log('· npm start to /ready 200 after a build')
    try {
      starts = await measureStarts(databaseUrl, 5)
      console.log(describeStarts(starts).replace(/^/gm, '  '))
    } catch (error) {
      console.log(`  FAILED: ${String(error)}`)
    }
  }

  let downloads: string | undefined
  if (only === undefined || only.has('downloads')) {
    console.log('· downloads on both storage backends (test/bench/downloads.ts)')
    const outcome = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/downloads.ts', '--seconds', String(Math.max(1, Math.round(seconds / 2)))], { cwd: root, encoding: 'utf8' })
    downloads = outcome.status === 0 ? outcome.stdout.trim() : `FAILED: ${outcome.stderr.trim().split('\n').slice(-5).join(' ')}`
    console.log(downloads.replace(/^/gm, '  '))
  }

  rss.stop()
  const memoryAfterGc = await collectGarbage(api)
  if (memoryAfterGc !== undefined) console.log(`· API memory after a full GC (MB): ${JSON.stringify(memoryAfterGc)}`)
  const loaded = (key: string) => scenarios[key]?.result
  const seq = (key: string) => {
    const result = sequentialResults[key]
    return result === undefined || 'error' in result ? undefined : result
  }
  const ratios = {
    bookReadRps: ratio(loaded('bookRead')?.rps, loaded('baselineBookRead')?.rps),
    favoritesRps: ratio(loaded('favorites')?.rps, loaded('baselineFavorites')?.rps),
    bookReadP99: ratio(loaded('bookRead')?.p99, loaded('baselineBookRead')?.p99),
    tokenVerifyRps: ratio(loaded('tokenVerify')?.rps, loaded('baselineBookRead')?.rps),
    keyedCycleRps: ratio(loaded('borrowReturnKeyed')?.rps, loaded('borrowReturn')?.rps),
    // No catalogue answer at all during the storm (every read timed out) is the worst case, not a gap.
    stormP99: storm?.during?.requests === 0 ? Number.POSITIVE_INFINITY : ratio(storm?.during?.p99, storm?.alone?.p99)
  }
  const { counts } = fixtures
  const targets = evaluateTargets({
    sequentialP95: (key) => seq(key)?.p95,
    ratios,
    connections,
    atIssueScale: counts.books >= 100_000 && counts.borrows >= 1_000_000 ? true : counts,
    startMedianMs: starts === undefined ? undefined : Math.round(starts.wallMs.median),
    maxRssMb: rss.overallMax,
    limiter: limiterStorm === undefined || 'error' in limiterStorm ? undefined : { exact: limiterStorm.exact, healthP99: limiterStorm.health.p99 }
  })

  console.log(`\nResults (${counts.books} books, ${counts.borrows} borrows, ${counts.users} users; ${seconds} s per scenario; ${machine().nproc} CPUs; API idle RSS ${idleRssMb} MB)\n`)
  printTable(scenarios)
  if (storm?.alone !== undefined && storm.during !== undefined) {
    console.log(`\nLogin storm: catalogue p99 ${ms(storm.alone.p99)} ms alone, ${ms(storm.during.p99)} ms beside ${stormLoginConnections} connections of logins (${storm.logins?.rps.toFixed(1) ?? '?'} logins/s, login p99 ${ms(storm.logins?.p99)} ms); catalogue req/s ${storm.alone.rps.toFixed(0)} → ${storm.during.rps.toFixed(0)}; API event loop during the storm p99 ${ms(storm.loopDuring?.p99)} ms, max ${ms(storm.loopDuring?.max)} ms`)
  } else if (storm?.error !== undefined) {
    console.log(`\nLogin storm: FAILED (${storm.error})`)
  }
  if (limiterStorm !== undefined) {
    console.log('error' in limiterStorm
      ? `\nRate-limiter storm: FAILED (${limiterStorm.error})`
      : `\nRate-limiter storm (RATE_LIMIT_MAX=${limiterStorm.limit}${limiterStorm.sharedThroughRedis ? ', Redis' : ', in memory'}): ${limiterStorm.load.rps.toFixed(0)} req/s, p99 ${ms(limiterStorm.load.p99)} ms, ${Object.entries(limiterStorm.load.statusCodes).map(([code, n]) => `${code}×${n}`).join(' ')}, ${limiterStorm.load.errors} errors; /health p99 ${ms(limiterStorm.health.p99)} ms meanwhile`)
  }
  printTargets(targets)

  const results = {
    date: new Date().toISOString(),
    machine: { ...machine(), mariadb: fixtures.mariadb },
    options: { books, borrows, users, authors, seconds, warmup, connections, rounds: pairRounds, apiNodeOptions: flags['node-options'], hashThreads: flags['hash-threads'] ?? null, hashOnLoop: flags['hash-on-loop'], cpuProfiles: flags['cpu-prof'] ? profileDir : null },
    seed: seedSummary ?? null,
    database: counts,
    fixtures: { benchUserId: fixtures.benchUserId, activeBooks: fixtures.activeBookIds.length, month: fixtures.month },
    setupErrors,
    apiOutput: api.output,
    scenarios,
    loginStorm: storm ?? null,
    rateLimitStorm: limiterStorm ?? null,
    start: starts ?? null,
    downloads: downloads ?? null,
    sequential: sequentialResults,
    rss: { idleMb: idleRssMb, maxMb: rss.overallMax, afterFullGc: memoryAfterGc ?? null },
    ratios,
    targets
  }
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nWritten to ${outFile}`)
}

let stopping = false
async function shutdown (code: number): Promise<void> {
  if (stopping) return
  stopping = true
  await stopAll()
  process.exit(code)
}
process.on('SIGINT', () => { console.error('\ninterrupted: stopping the child processes'); shutdown(130).catch(() => process.exit(130)) })
process.on('SIGTERM', () => { shutdown(143).catch(() => process.exit(143)) })

main().then(
  () => shutdown(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack ?? error.message : error)
    return shutdown(1)
  }
)
