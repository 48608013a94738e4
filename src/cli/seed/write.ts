import { getTableColumns, getTableName, sql } from 'drizzle-orm'
import { CasingCache } from 'drizzle-orm/casing'
import type { MySqlTable } from 'drizzle-orm/mysql-core'
import cliProgress from 'cli-progress'
import type { Pool } from 'mysql2/promise'
import { casing, connectDatabase, connectedDrizzle, type Database, type DatabaseHandle } from '../../db/client.js'
import { migrateDatabase, parseDatabaseUrl } from '../../db/migrate.js'
import {
  authors, books, bookTotals, borrows, emailOutbox, emailTokens, favorites, files, holds, idempotencyKeys, loginFailures, notices, refreshTokens, reviews,
  revokedAccessTokens, users
} from '../../db/schema/index.js'
import { withPasswordHasher } from '../../modules/accounts/index.js'
import { planHolds } from './holds.js'
import {
  authorRow, bookRow, borrowRow, day, generator, planBooks, planBorrows, seedPassword, userRow,
  type Frame, type PlannedBook, type Random
} from './plan.js'

export interface SeedOptions {
  databaseUrl: string
  users: number
  authors: number
  books: number
  borrows: number
  /** Empty a database that already holds users instead of refusing. */
  force?: boolean
  /** Seed of the pseudo-random generator: the same seed gives the same data. */
  seed?: number
  /** Rows per multi-row INSERT. */
  chunkSize?: number
  /** Show progress bars (on stderr). */
  progress?: boolean
  /** Open borrows a user may hold, as MAX_OPEN_BORROWS. */
  maxOpenBorrows?: number
  /** Loan length, as LOAN_DAYS. */
  loanDays?: number
  /** Active holds a user may have, as MAX_ACTIVE_HOLDS. */
  maxActiveHolds?: number
  /** Days a ready hold waits for its holder, as HOLD_PICKUP_DAYS. */
  pickupDays?: number
}

export interface SeedSummary {
  database: string
  users: number
  authors: number
  books: number
  deletedBooks: number
  borrows: number
  openBorrows: number
  holds: number
  /** Waiting or ready. */
  activeHolds: number
  seconds: number
}

/** Thrown when the database already holds users and `force` is not set. */
export class SeedRefusedError extends Error {
  override name = 'SeedRefusedError'
}

type Bars = cliProgress.MultiBar | undefined

const columnNames = new CasingCache(casing)

/**
 * Multi-row INSERTs, a few of them in flight at once; the first failure is thrown by the next call.
 * The rows go to mysql2 as `VALUES ?` with an array of rows: Drizzle's own `insert().values()` takes
 * about fifteen times as long to build a statement of 5,000 rows, the bulk of a seed's time.
 */
class Inserter {
  private readonly pending = new Set<Promise<void>>()
  private failure: { error: unknown } | undefined

  constructor (private readonly pool: Pool, private readonly bars: Bars, private readonly chunkSize: number, private readonly parallel = 3) {}

  /** Inserts `count` rows made by `row`, `chunkSize` per INSERT; the columns are the keys of the first row. */
  async write<T extends MySqlTable> (table: T, count: number, row: (index: number) => T['$inferInsert']): Promise<void> {
    const bar = this.bars?.create(count, 0, { name: getTableName(table).padEnd(7) })
    for (let start = 0; start < count; start += this.chunkSize) {
      const rows: Array<T['$inferInsert']> = []
      for (let index = start; index < Math.min(count, start + this.chunkSize); index++) rows.push(row(index))
      while (this.pending.size >= this.parallel) await Promise.race(this.pending)
      this.throwIfFailed()
      const tracked: Promise<void> = this.insert(table, rows)
        .then(() => { bar?.increment(rows.length) }, (error: unknown) => { this.failure ??= { error } })
        .finally(() => { this.pending.delete(tracked) })
      this.pending.add(tracked)
    }
  }

  private async insert<T extends MySqlTable> (table: T, rows: Array<T['$inferInsert']>): Promise<void> {
    const keys = Object.keys(rows[0] ?? {})
    const columns = getTableColumns(table)
    const names = keys.map((key) => {
      const column = columns[key]
      if (column === undefined) throw new Error(`${getTableName(table)} has no column ${key}`)
      return columnNames.getColumnCasing(column)
    })
    const values = rows.map((values: Record<string, unknown>) => keys.map((key) => values[key]))
    await this.pool.query('INSERT INTO ?? (??) VALUES ?', [getTableName(table), names, values])
  }

  /** Waits for the INSERTs in flight; throws the first failure. */
  async flush (): Promise<void> {
    await Promise.all(this.pending)
    this.throwIfFailed()
  }

  private throwIfFailed (): void {
    if (this.failure !== undefined) throw this.failure.error
  }
}

/** Every table holding data. */
const dataTables = [notices, holds, borrows, reviews, favorites, files, refreshTokens, emailTokens, emailOutbox, idempotencyKeys, loginFailures, revokedAccessTokens, books, bookTotals, authors, users]

/** Refuses a database that holds users, or (with `force`) empties every table. */
async function refuseOrEmpty ({ pool, db }: DatabaseHandle, databaseUrl: string, force: boolean): Promise<void> {
  const [existing] = await db.select({ users: sql<number>`count(*)` }).from(users)
  const existingUsers = Number(existing?.users ?? 0)
  if (existingUsers === 0) return
  if (!force) {
    throw new SeedRefusedError(`The database ${parseDatabaseUrl(databaseUrl).database} already holds ${existingUsers} users; pass --force to empty it and seed it again`)
  }
  // FOREIGN_KEY_CHECKS is per session: the TRUNCATEs run on the connection that turned it off.
  const connection = await pool.getConnection()
  const session = connectedDrizzle(connection)
  try {
    await session.execute(sql`SET FOREIGN_KEY_CHECKS = 0`)
    for (const table of dataTables) await session.execute(sql`TRUNCATE TABLE ${table}`)
  } finally {
    await session.execute(sql`SET FOREIGN_KEY_CHECKS = 1`)
    connection.release()
  }
}

async function nextId (db: Database, table: typeof users | typeof authors | typeof books): Promise<number> {
  const [row] = await db.select({ next: sql<number>`coalesce(max(${table.id}), 0) + 1` }).from(table)
  return Number(row?.next ?? 1)
}

interface Counts { users: number, authors: number, books: number, borrows: number }

function checkCounts ({ users, authors, books, borrows }: Counts): void {
  for (const [name, value] of Object.entries({ users, authors, books, borrows })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number ≥ 0, not ${value}`)
  }
  if (books > 0 && (users === 0 || authors === 0)) throw new Error('Books need at least one user (their owner) and one author')
  if (borrows > 0 && (books === 0 || users === 0)) throw new Error('Borrows need at least one user and one book')
}

/** Users and authors first, their ids assigned here so books and borrows refer to them unread. */
async function writePeople (db: Database, inserter: Inserter, random: Random, counts: Counts): Promise<Frame> {
  const now = Date.now()
  const epoch = now - 3 * 365 * day
  const frame: Frame = { now, epoch, firstUserId: await nextId(db, users), userCount: counts.users, firstAuthorId: 0, authorCount: counts.authors }
  const passwordHash = await withPasswordHasher((hasher) => hasher.hash(seedPassword))
  await inserter.write(users, counts.users, (index) => userRow(random, frame, index, passwordHash))
  frame.firstAuthorId = await nextId(db, authors)
  await inserter.write(authors, counts.authors, (index) => authorRow(random, frame, index))
  // Books refer to their author and owner: those rows must be in before the first book.
  await inserter.flush()
  return frame
}

/**
 * Fills a database with realistic, consistent data: users (one admin), authors, books and borrows.
 * Copy accounting holds as the API keeps it: each book's `borrowedCopies` is its number of open
 * borrows and `availableCopies` the rest; a user holds at most `maxOpenBorrows` open borrows and at
 * most one of each book; every borrow falls between the book's creation and now (or its soft delete),
 * and is returned no earlier than it was borrowed. Rows go in as multi-row INSERTs of `chunkSize`.
 */
export async function seedDatabase (options: SeedOptions): Promise<SeedSummary> {
  checkCounts(options)
  const { databaseUrl, force = false, seed = 1, chunkSize = 5000, progress = false, maxOpenBorrows = 5, loanDays = 14, maxActiveHolds = 5, pickupDays = 3 } = options
  const started = Date.now()
  const random = generator(seed)
  await migrateDatabase(databaseUrl)
  const handle = connectDatabase(databaseUrl, { connectionLimit: 4 })
  const { db } = handle
  const bars = progress
    ? new cliProgress.MultiBar({ format: ' {name} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic)
    : undefined
  try {
    await refuseOrEmpty(handle, databaseUrl, force)
    const inserter = new Inserter(handle.pool, bars, chunkSize)
    const frame = await writePeople(db, inserter, random, options)
    const planned = planBooks(random, frame, await nextId(db, books), options.books)
    const plan = planBorrows(random, frame, planned, { count: options.borrows, maxOpenBorrows, loanDays })
    // A generator of their own, so that adding holds changed none of the other seeded rows.
    const holdRows = planHolds(generator(seed + 1), frame, planned, plan, { maxActiveHolds, pickupDays })
    await inserter.write(books, planned.length, (index) => bookRow(random, frame, planned[index] as PlannedBook))
    // Borrows refer to users and books: those must be in before the first borrow.
    await inserter.flush()
    // One INSERT at a time: triggers move each borrow's user and book totals, and parallel multi-row
    // INSERTs would lock those rows in different orders (deadlocks).
    const borrowInserter = new Inserter(handle.pool, bars, chunkSize, 1)
    await borrowInserter.write(borrows, options.borrows, (position) => borrowRow(plan, position, loanDays))
    // Holds after the borrows, one INSERT at a time too: a trigger counts waiting holds on their book.
    await borrowInserter.write(holds, holdRows.length, (index) => {
      const row = holdRows[index]
      if (row === undefined) throw new Error(`no planned hold ${index}`)
      return row
    })
    await borrowInserter.flush()
    // Fresh statistics after a bulk load, or the optimizer picks join orders for empty tables.
    await db.execute(sql`ANALYZE TABLE ${users}, ${authors}, ${books}, ${borrows}, ${holds}, ${favorites}, ${reviews}`)
    return {
      database: parseDatabaseUrl(databaseUrl).database,
      users: options.users,
      authors: options.authors,
      books: options.books,
      deletedBooks: planned.filter((book) => book.deletedAt !== null).length,
      borrows: options.borrows,
      openBorrows: plan.openCount,
      holds: holdRows.length,
      activeHolds: holdRows.filter((hold) => hold.status === 'waiting' || hold.status === 'ready').length,
      seconds: Math.round((Date.now() - started) / 100) / 10
    }
  } finally {
    bars?.stop()
    await handle.pool.end()
  }
}
