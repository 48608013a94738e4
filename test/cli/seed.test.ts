import mysql, { type RowDataPacket } from 'mysql2/promise'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { isbnFor, seedAdminEmail } from '../../src/cli/seed/plan.js'
import { SeedRefusedError, seedDatabase } from '../../src/cli/seed/write.js'
import { childEnv, createTestDatabase } from '../helpers/index.js'

async function query (url: string, sql: string): Promise<RowDataPacket[]> {
  const connection = await mysql.createConnection({ uri: url })
  try {
    const [rows] = await connection.query<RowDataPacket[]>(sql)
    return rows
  } finally {
    await connection.end()
  }
}

async function scalar (url: string, sql: string): Promise<number> {
  const [row] = await query(url, `SELECT (${sql}) AS value`)
  return Number(row?.value)
}

t.test('isbnFor makes valid, distinct ISBN-13s', async (t) => {
  t.equal(isbnFor(0), '9780000000002')
  t.equal(isbnFor(123456789), '9781234567897')
  t.not(isbnFor(1), isbnFor(2))
})

t.test('seedDatabase fills a database with consistent data', async (t) => {
  const url = await createTestDatabase(t)
  const summary = await seedDatabase({ databaseUrl: url, users: 60, authors: 12, books: 150, borrows: 4000, chunkSize: 500, maxOpenBorrows: 5 })
  t.match(summary, { users: 60, authors: 12, books: 150, borrows: 4000 })
  t.ok(summary.openBorrows > 50, `some borrows are open (${summary.openBorrows})`)

  t.equal(await scalar(url, 'SELECT COUNT(*) FROM users'), 60)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM authors'), 12)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM books'), 150)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows'), 4000)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows WHERE returned_at IS NULL'), summary.openBorrows)
  t.equal(await scalar(url, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND email = '${seedAdminEmail}'`), 1)

  t.equal(await scalar(url, `SELECT COUNT(*) FROM books b WHERE b.borrowed_copies <>
    (SELECT COUNT(*) FROM borrows r WHERE r.book_id = b.id AND r.returned_at IS NULL)`), 0, 'borrowed copies = open borrows, per book')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM books WHERE deleted_at IS NOT NULL AND borrowed_copies > 0'), 0, 'no open borrow of a deleted book')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM (SELECT user_id, book_id FROM borrows WHERE returned_at IS NULL GROUP BY user_id, book_id HAVING COUNT(*) > 1) d'), 0, 'one open borrow per user and book')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM (SELECT user_id FROM borrows WHERE returned_at IS NULL GROUP BY user_id HAVING COUNT(*) > 5) d'), 0, 'at most MAX_OPEN_BORROWS per user')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows WHERE returned_at < borrowed_at OR due_at <= borrowed_at'), 0, 'returned no earlier than borrowed')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows WHERE borrowed_at > CURRENT_TIMESTAMP(3) OR returned_at > CURRENT_TIMESTAMP(3)'), 0, 'nothing in the future')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows r JOIN books b ON b.id = r.book_id WHERE r.borrowed_at < b.created_at OR r.returned_at > b.deleted_at'), 0, 'borrows fall within the book\'s life')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows r JOIN users u ON u.id = r.user_id WHERE u.email_verified_at IS NULL'), 0, 'only verified users borrow')
  t.equal(await scalar(url, 'SELECT COUNT(DISTINCT isbn) FROM books'), 150, 'distinct ISBNs')

  t.equal(await scalar(url, 'SELECT COUNT(*) FROM holds'), summary.holds)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM holds WHERE status IN (\'waiting\', \'ready\')'), summary.activeHolds)
  for (const status of ['waiting', 'ready', 'fulfilled', 'cancelled', 'expired']) {
    t.ok(await scalar(url, `SELECT COUNT(*) FROM holds WHERE status = '${status}'`) > 0, `some holds are ${status}`)
  }
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM books WHERE available_copies + borrowed_copies + held_copies + set_aside_copies <> total_copies'), 0, 'copies add up, the hold shelf included')
  t.equal(await scalar(url, `SELECT COUNT(*) FROM books b WHERE b.held_copies <> (SELECT COUNT(*) FROM holds h WHERE h.book_id = b.id AND h.status = 'ready')
    OR b.hold_count <> (SELECT COUNT(*) FROM holds h WHERE h.book_id = b.id AND h.status = 'waiting')`), 0, 'held copies = ready holds, holdCount = waiting holds')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM books WHERE hold_count > 0 AND (available_copies > 0 OR deleted_at IS NOT NULL)'), 0, 'queues only on active books with no copy on the shelf')
  t.equal(await scalar(url, `SELECT COUNT(*) FROM holds h JOIN borrows r ON r.user_id = h.user_id AND r.book_id = h.book_id
    WHERE h.status IN ('waiting', 'ready') AND r.returned_at IS NULL`), 0, 'no active hold on a book its holder has on loan')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM (SELECT user_id FROM holds WHERE status IN (\'waiting\', \'ready\') GROUP BY user_id HAVING COUNT(*) > 5) d'), 0, 'at most MAX_ACTIVE_HOLDS per user')
  t.equal(await scalar(url, `SELECT COUNT(*) FROM holds r JOIN holds w ON w.book_id = r.book_id
    WHERE r.status = 'ready' AND w.status = 'waiting' AND w.id < r.id`), 0, 'a ready hold was first in its queue')
  t.equal(await scalar(url, `SELECT COUNT(*) FROM holds WHERE status = 'ready' AND pickup_by < CURRENT_TIMESTAMP(3)
    OR created_at > CURRENT_TIMESTAMP(3) OR ready_at < created_at OR ended_at < created_at`), 0, 'no ready hold is past pickup; nothing in the future')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM holds h JOIN users u ON u.id = h.user_id WHERE u.email_verified_at IS NULL'), 0, 'only verified users hold')

  await t.rejects(seedDatabase({ databaseUrl: url, users: 5, authors: 1, books: 1, borrows: 1 }), SeedRefusedError, 'refuses a database that holds users')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM users'), 60, 'left untouched')

  const again = await seedDatabase({ databaseUrl: url, users: 5, authors: 2, books: 3, borrows: 10, force: true, seed: 7 })
  t.match(again, { users: 5, books: 3, borrows: 10 })
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM users'), 5, '--force empties it first')
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM holds'), again.holds)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows'), 10)
  t.equal(await scalar(url, 'SELECT MIN(id) FROM users'), 1)
})

t.test('seedDatabase checks its counts', async (t) => {
  const url = await createTestDatabase(t)
  await t.rejects(seedDatabase({ databaseUrl: url, users: 0, authors: 1, books: 1, borrows: 0 }), /owner/)
  await t.rejects(seedDatabase({ databaseUrl: url, users: 1, authors: 1, books: 0, borrows: 5 }), /Borrows need/)
  await t.rejects(seedDatabase({ databaseUrl: url, users: -1, authors: 1, books: 0, borrows: 0 }), /users/)
})

t.test('npm run db:seed (the command line)', async (t) => {
  const run = promisify(execFile)
  const url = await createTestDatabase(t)
  const args = ['--import', 'tsx', 'src/cli/seed.ts', '--database-url', url, '--users', '4', '--authors', '2', '--books', '3', '--borrows', '1_000']
  const env = childEnv({ NODE_ENV: 'test', DATABASE_URL: url })
  const { stdout } = await run(process.execPath, args, { env })
  t.match(stdout, /Seeded bookstore_test_\w+ in [\d.]+ s: 4 users, 2 authors, 3 books \(\d+ soft-deleted\), 1000 borrows \(\d+ open\), \d+ holds \(\d+ active\)/)
  t.match(stdout, /bookstore-seed-password/)
  t.equal(await scalar(url, 'SELECT COUNT(*) FROM borrows'), 1000)

  const refused = await run(process.execPath, args, { env }).then(() => undefined, (error: { code: number, stderr: string }) => error)
  t.equal(refused?.code, 1, 'exits 1 when the database holds users')
  t.match(refused?.stderr, /already holds 4 users; pass --force/)
})
