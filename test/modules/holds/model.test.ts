/**
 * A model test of circulation: seeded random interleavings of borrow, return, renew, place hold,
 * cancel hold, the expiry sweep and admin copy changes by three users on two books, through the real
 * routes, some steps two commands at once. After every step the copy accounting and the queue must be
 * true in SQL, and no answer may be a 5xx. Each run starts on books and users of its own.
 *
 * Reproduce a failure with the seed and path fast-check prints; `MODEL_SEED` and `MODEL_RUNS` override
 * the defaults (about 20–60 s on a busy machine).
 */
import { and, inArray, sql } from 'drizzle-orm'
import fc from 'fast-check'
import t from 'tap'
import { books, holds } from '../../../src/db/schema/index.js'
import { build, createBook, createUser, type TestApp, type TestUser } from '../../helpers/index.js'

const seed = Number(process.env.MODEL_SEED ?? 42)
const numRuns = Number(process.env.MODEL_RUNS ?? 30)
const day = 86_400_000
const userCount = 3
const bookCount = 2

type Command =
  | { kind: 'reader', action: 'borrow' | 'return' | 'renew' | 'hold' | 'cancel', user: number, book: number }
  | { kind: 'expire', days: number }
  | { kind: 'admin', field: 'totalCopies' | 'availableCopies', book: number, copies: number }

const user = fc.nat({ max: userCount - 1 })
const book = fc.nat({ max: bookCount - 1 })
const command: fc.Arbitrary<Command> = fc.oneof(
  // Weighted so that runs often reach a lent-out book with a queue, where the interesting cases are.
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('reader'), action: fc.constantFrom('borrow', 'return', 'hold'), user, book }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('reader'), action: fc.constantFrom('renew', 'cancel'), user, book }) },
  // Past the default three pickup days (some sweeps expire nothing): every ready hold then expires.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire'), days: fc.nat({ max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('admin'), field: fc.constantFrom('totalCopies', 'availableCopies'), book, copies: fc.nat({ max: 2 }) }) }
)
/** One command, or two sent at once. */
const step = fc.array(command, { minLength: 1, maxLength: 2 })

interface Run {
  app: TestApp
  admin: TestUser
  users: TestUser[]
  bookIds: number[]
  /** The latest borrow and hold ids each user got for each book, by `user:book`. */
  borrowIds: Map<string, number>
  holdIds: Map<string, number>
}

const at = <T>(items: T[], index: number): T => {
  const item = items[index]
  if (item === undefined) throw new Error(`no item ${index}`)
  return item
}

/** Sends one command through the routes (the expiry sweep through its service); returns its outcome. */
async function send (run: Run, command: Command): Promise<string> {
  const { app } = run
  if (command.kind === 'expire') {
    return `expired ${await app.holds.expireReadyHolds(new Date(Date.now() + command.days * day))}`
  }
  const bookId = at(run.bookIds, command.book)
  if (command.kind === 'admin') {
    const response = await app.inject({ method: 'PATCH', url: `/api/books/${bookId}`, headers: run.admin.headers, payload: { [command.field]: command.copies } })
    return `${command.field} ${response.statusCode}`
  }
  const { action } = command
  const key = `${command.user}:${command.book}`
  const { headers } = at(run.users, command.user)
  const borrowId = run.borrowIds.get(key)
  const holdId = run.holdIds.get(key)
  if ((action === 'renew' && borrowId === undefined) || (action === 'cancel' && holdId === undefined)) return `${action} skipped`
  const response = await app.inject(
    action === 'borrow'
      ? { method: 'POST', url: '/api/borrows', headers, payload: { bookId } }
      : action === 'return'
        ? { method: 'POST', url: `/api/books/${bookId}/return`, headers }
        : action === 'renew'
          ? { method: 'POST', url: `/api/borrows/${borrowId}/renew`, headers }
          : action === 'hold'
            ? { method: 'POST', url: `/api/books/${bookId}/holds`, headers }
            : { method: 'DELETE', url: `/api/holds/${holdId}`, headers }
  )
  if (response.statusCode === 201) (action === 'borrow' ? run.borrowIds : run.holdIds).set(key, response.json().id)
  const code = response.statusCode >= 400 ? ` ${response.json().code}` : ''
  return `${action} ${response.statusCode}${code}`
}

/** The run's books' copy columns and what the holds and borrows tables say about them. */
async function bookStates (run: Run) {
  const count = (table: string, where: string) =>
    sql<number>`(select count(*) from ${sql.raw(table)} where ${sql.raw(table)}.${sql.raw(where)})`.mapWith(Number)
  return await run.app.db.select({
    id: books.id,
    total: books.totalCopies,
    available: books.availableCopies,
    borrowed: books.borrowedCopies,
    held: books.heldCopies,
    setAside: books.setAsideCopies,
    holdCount: books.holdCount,
    ready: count('holds', 'book_id = books.id and holds.status = \'ready\''),
    waiting: count('holds', 'book_id = books.id and holds.status = \'waiting\''),
    openBorrows: count('borrows', 'open_book_id = books.id')
  }).from(books).where(inArray(books.id, run.bookIds))
}

/** Every invariant the step must leave true; the broken ones, described. */
async function violations (run: Run): Promise<string[]> {
  const broken: string[] = []
  const states = await bookStates(run)
  for (const s of states) {
    const copies = [s.available, s.borrowed, s.held, s.setAside]
    if (copies.some((n) => n < 0) || copies.reduce((a, b) => a + b, 0) !== s.total) broken.push(`copy balance ${JSON.stringify(s)}`)
    if (s.held !== s.ready) broken.push(`held copies ≠ ready holds ${JSON.stringify(s)}`)
    if (s.borrowed !== s.openBorrows) broken.push(`borrowed ≠ open borrows ${JSON.stringify(s)}`)
    if (s.holdCount !== s.waiting) broken.push(`holdCount ≠ waiting holds ${JSON.stringify(s)}`)
    if (s.available > 0 && s.waiting > 0) broken.push(`copies on the shelf while holds wait ${JSON.stringify(s)}`)
  }
  const doubles = await run.app.db.select({ userId: holds.userId, bookId: holds.bookId }).from(holds)
    .where(and(inArray(holds.bookId, run.bookIds), inArray(holds.status, ['waiting', 'ready'])))
    .groupBy(holds.userId, holds.bookId).having(sql`count(*) > 1`)
  if (doubles.length > 0) broken.push(`two active holds ${JSON.stringify(doubles)}`)
  broken.push(...await positionViolations(run, states))
  return broken
}

/** The positions GET /api/holds shows for each book's waiting holds are 1…n in id order. */
async function positionViolations (run: Run, states: Array<{ id: number, waiting: number }>): Promise<string[]> {
  const pages = await Promise.all(run.users.map(async (u) =>
    (await run.app.inject({ url: '/api/holds?status=waiting', headers: u.headers })).json().items as Array<{ id: number, book: { id: number }, position: number }>))
  const broken: string[] = []
  for (const { id, waiting } of states) {
    const queue = pages.flat().filter((hold) => hold.book.id === id).sort((a, b) => a.id - b.id)
    const positions = queue.map((hold) => hold.position)
    if (queue.length !== waiting || positions.some((position, i) => position !== i + 1)) {
      broken.push(`book ${id}: positions ${JSON.stringify(positions)} for ${waiting} waiting`)
    }
  }
  return broken
}

t.test('random interleavings keep the copy accounting and the queue true', async (t) => {
  // The limits would refuse most of a run's requests (one IP, a few users); lock waits of a busy machine
  // can exceed the default fail-fast budget.
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', BORROW_RATE_LIMIT_PER_HOUR: '1000000', DB_TIMEOUT_MS: '20000' } })
  const owner = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const statuses = new Map<string, number>()

  const shelves = fc.array(fc.nat({ max: 2 }), { minLength: bookCount, maxLength: bookCount })
  await fc.assert(fc.asyncProperty(shelves, fc.array(step, { minLength: 8, maxLength: 30 }), async (copies, steps) => {
    const run: Run = {
      app,
      admin,
      users: await Promise.all(Array.from({ length: userCount }, () => createUser(app))),
      bookIds: await Promise.all(copies.map(async (n) => (await createBook(app, { ownerId: owner.id, copies: n })).id)),
      borrowIds: new Map(),
      holdIds: new Map()
    }
    for (const [index, commands] of steps.entries()) {
      const outcomes = await Promise.all(commands.map((c) => send(run, c)))
      for (const outcome of outcomes) statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1)
      if (outcomes.every((outcome) => outcome.endsWith('skipped'))) continue
      const errors = outcomes.filter((outcome) => / 5\d\d/.test(outcome))
      const broken = await violations(run)
      if (errors.length > 0 || broken.length > 0) {
        throw new Error(`after step ${index} ${JSON.stringify(commands)} → ${outcomes.join(', ')}: ${[...errors, ...broken].join('; ')}`)
      }
    }
  }), { seed, numRuns })

  const seen = (prefix: string) => [...statuses].some(([outcome, n]) => outcome.startsWith(prefix) && n > 0)
  t.comment(JSON.stringify(Object.fromEntries([...statuses].sort())))
  // The runs must have reached the states worth checking, or passing proves little.
  for (const outcome of ['borrow 201', 'return 200', 'renew 200', 'renew 409 BOOK_ON_HOLD', 'hold 201', 'hold 409 COPIES_AVAILABLE', 'cancel 204', 'borrow 409 NO_COPIES_AVAILABLE', 'totalCopies 200', 'availableCopies 200', 'expired 1']) {
    t.ok(seen(outcome), `reached: ${outcome}`)
  }
  const ended = await app.db.select({ status: holds.status, n: sql<number>`count(*)`.mapWith(Number) }).from(holds).groupBy(holds.status)
  t.comment(JSON.stringify(ended))
  for (const status of ['fulfilled', 'cancelled', 'expired'] as const) {
    t.ok(ended.some((row) => row.status === status && row.n > 0), `some holds ended ${status}`)
  }
})
