import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import bcrypt from 'bcryptjs'
import cliProgress from 'cli-progress'
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise'
import { loadConfig } from '../config.js'
import { connectDatabase } from '../db/client.js'
import { migrateDatabase, parseDatabaseUrl } from '../db/migrate.js'
import { completeIsbn13 } from '../modules/books/index.js'

/** The password of every seeded account (development data only). */
export const seedPassword = 'bookstore-seed-password'
/** The seeded admin; every other seeded user is `reader<n>@example.com`. */
export const seedAdminEmail = 'admin@example.com'

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
}

export interface SeedSummary {
  database: string
  users: number
  authors: number
  books: number
  deletedBooks: number
  borrows: number
  openBorrows: number
  seconds: number
}

/** Thrown when the database already holds users and `force` is not set. */
export class SeedRefusedError extends Error {
  override name = 'SeedRefusedError'
}

const hour = 3_600_000
const day = 24 * hour

/** mulberry32: small, fast and good enough for test data. */
function generator (seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
  const integer = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  return { next, integer, pick }
}

const firstNames = ['Ada', 'Alan', 'Amara', 'Anton', 'Astrid', 'Chinua', 'Clarice', 'Dmitri', 'Elena', 'Elif', 'Gabriel', 'Hanna', 'Haruki', 'Ines', 'Isabel', 'Jorge', 'Kazuo', 'Leila', 'Lucia', 'Mariana', 'Mateo', 'Naguib', 'Nadia', 'Olga', 'Orhan', 'Paulo', 'Priya', 'Rainer', 'Salman', 'Selma', 'Sofia', 'Tomas', 'Ursula', 'Viktor', 'Wisława', 'Yuki', 'Zadie']
const lastNames = ['Achebe', 'Adichie', 'Allende', 'Atwood', 'Borges', 'Calvino', 'Coetzee', 'Duras', 'Eco', 'Ferrante', 'Fuentes', 'Grass', 'Hesse', 'Ishiguro', 'Jansson', 'Kafka', 'Kundera', 'Lessing', 'Lispector', 'Mahfouz', 'Mann', 'Morrison', 'Murakami', 'Nabokov', 'Ondaatje', 'Pamuk', 'Rilke', 'Roy', 'Saramago', 'Sebald', 'Smith', 'Szymborska', 'Tokarczuk', 'Undset', 'Vargas', 'Woolf', 'Yourcenar', 'Zola']
const nationalities = ['American', 'Argentinian', 'Brazilian', 'British', 'Canadian', 'Chilean', 'Colombian', 'Czech', 'Egyptian', 'French', 'German', 'Indian', 'Italian', 'Japanese', 'Mexican', 'Nigerian', 'Norwegian', 'Polish', 'Portuguese', 'Russian', 'South African', 'Swedish', 'Turkish']
const genres = ['Fiction', 'Science fiction', 'Fantasy', 'Mystery', 'Thriller', 'Romance', 'Historical fiction', 'Biography', 'History', 'Poetry', 'Philosophy', 'Science', 'Travel', 'Children', 'Horror']
const adjectives = ['Silent', 'Hidden', 'Last', 'Broken', 'Golden', 'Distant', 'Forgotten', 'Burning', 'Quiet', 'Endless', 'Secret', 'Crimson', 'Wandering', 'Frozen', 'Little', 'Invisible', 'Long', 'Bitter', 'Shining', 'Hollow']
const nouns = ['River', 'Garden', 'City', 'Mirror', 'Winter', 'Library', 'Ocean', 'Mountain', 'Letter', 'House', 'Island', 'Forest', 'Voyage', 'Kingdom', 'Clock', 'Bridge', 'Harbour', 'Night', 'Orchard', 'Lighthouse']
const copyWeights = [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 8]

/** A valid ISBN-13 made from a sequence number: unique per number below a billion. */
export function isbnFor (sequence: number): string {
  return completeIsbn13(`978${String(sequence).padStart(9, '0')}`)
}

/** One seeded reader in twenty has not verified their email (and so borrows nothing). */
const isUnverified = (index: number) => index % 20 === 19

interface PlannedBook {
  id: number
  createdAt: number
  deletedAt: number | null
  totalCopies: number
  open: number
}

type Value = string | number | Date | null
type Row = Value[]

class Inserter {
  private readonly pending = new Set<Promise<void>>()
  private failure: { error: unknown } | undefined

  constructor (private readonly pool: Pool, private readonly parallel = 3) {}

  /** One multi-row INSERT (`VALUES ?` with an array of rows), a few of them in flight at once. */
  async insert (table: string, columns: string[], rows: Row[], done: () => void): Promise<void> {
    if (rows.length === 0) return
    while (this.pending.size >= this.parallel) await Promise.race(this.pending)
    this.throwIfFailed()
    const tracked: Promise<void> = this.pool.query(`INSERT INTO \`${table}\` (${columns.map((column) => `\`${column}\``).join(', ')}) VALUES ?`, [rows])
      .then(() => { done() }, (error: unknown) => { this.failure ??= { error } })
      .finally(() => { this.pending.delete(tracked) })
    this.pending.add(tracked)
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

/** Every table holding data, children before parents. */
const dataTables = ['borrows', 'reviews', 'favorites', 'files', 'refresh_tokens', 'email_tokens', 'revoked_access_tokens', 'books', 'book_totals', 'authors', 'users']

async function emptyDatabase (connection: PoolConnection): Promise<void> {
  await connection.query('SET FOREIGN_KEY_CHECKS = 0')
  try {
    for (const table of dataTables) await connection.query(`TRUNCATE TABLE \`${table}\``)
  } finally {
    await connection.query('SET FOREIGN_KEY_CHECKS = 1')
  }
}

async function nextId (pool: Pool, table: string): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT COALESCE(MAX(id), 0) + 1 AS next FROM \`${table}\``)
  return Number(rows[0]?.next ?? 1)
}

function checkCounts ({ users, authors, books, borrows }: SeedOptions): void {
  for (const [name, value] of Object.entries({ users, authors, books, borrows })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number ≥ 0, not ${value}`)
  }
  if (books > 0 && (users === 0 || authors === 0)) throw new Error('Books need at least one user (their owner) and one author')
  if (borrows > 0 && (books === 0 || users === 0)) throw new Error('Borrows need at least one user and one book')
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
  const {
    databaseUrl, users: userCount, authors: authorCount, books: bookCount, borrows: borrowCount,
    force = false, seed = 1, chunkSize = 5000, progress = false, maxOpenBorrows = 5, loanDays = 14
  } = options
  const started = Date.now()
  const random = generator(seed)
  await migrateDatabase(databaseUrl)
  const { pool } = connectDatabase(databaseUrl, { connectionLimit: 4 })
  const bars = progress
    ? new cliProgress.MultiBar({ format: ' {name} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic)
    : undefined
  try {
    const [existing] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS users FROM users')
    const existingUsers = Number(existing[0]?.users ?? 0)
    if (existingUsers > 0) {
      if (!force) {
        throw new SeedRefusedError(`The database ${parseDatabaseUrl(databaseUrl).database} already holds ${existingUsers} users; pass --force to empty it and seed it again`)
      }
      const connection = await pool.getConnection()
      try {
        await emptyDatabase(connection)
      } finally {
        connection.release()
      }
    }

    const inserter = new Inserter(pool)
    const now = Date.now()
    const epoch = now - 3 * 365 * day

    // Users: ids assigned here, so books and borrows can refer to them without reading them back.
    const firstUserId = await nextId(pool, 'users')
    const passwordHash = await bcrypt.hash(seedPassword, 10)
    const userBar = bars?.create(userCount, 0, { name: 'users  ' })
    for (let start = 0; start < userCount; start += chunkSize) {
      const rows: Row[] = []
      for (let index = start; index < Math.min(userCount, start + chunkSize); index++) {
        const admin = index === 0
        const verified = admin || !isUnverified(index)
        const createdAt = new Date(epoch - random.integer(0, 60) * day - random.integer(0, day))
        rows.push([
          firstUserId + index,
          admin ? seedAdminEmail : `reader${index}@example.com`,
          admin ? 'admin' : `reader_${index}`,
          passwordHash,
          admin ? 'admin' : 'user',
          verified ? new Date(createdAt.getTime() + random.integer(60_000, day)) : null,
          createdAt,
          createdAt
        ])
      }
      await inserter.insert('users', ['id', 'email', 'username', 'password_hash', 'role', 'email_verified_at', 'created_at', 'updated_at'], rows, () => userBar?.increment(rows.length))
    }

    const firstAuthorId = await nextId(pool, 'authors')
    const authorBar = bars?.create(authorCount, 0, { name: 'authors' })
    for (let start = 0; start < authorCount; start += chunkSize) {
      const rows: Row[] = []
      for (let index = start; index < Math.min(authorCount, start + chunkSize); index++) {
        const birthYear = random.integer(1850, 1995)
        const birthdate = `${birthYear}-${String(random.integer(1, 12)).padStart(2, '0')}-${String(random.integer(1, 28)).padStart(2, '0')}`
        const createdAt = new Date(epoch - random.integer(0, 30) * day)
        rows.push([firstAuthorId + index, `${random.pick(firstNames)} ${random.pick(lastNames)}`, random.next() < 0.9 ? birthdate : null, random.next() < 0.85 ? random.pick(nationalities) : null, createdAt, createdAt])
      }
      await inserter.insert('authors', ['id', 'name', 'birthdate', 'nationality', 'created_at', 'updated_at'], rows, () => authorBar?.increment(rows.length))
    }

    // Books refer to their author and owner: those rows must be in before the first book.
    await inserter.flush()

    // Books are planned first: their copy counters depend on the open borrows drawn next.
    const firstBookId = await nextId(pool, 'books')
    const planned: PlannedBook[] = []
    for (let index = 0; index < bookCount; index++) {
      const createdAt = epoch + Math.floor(random.next() * (now - day - epoch))
      const deleted = random.next() < 0.02
      planned.push({
        id: firstBookId + index,
        createdAt,
        deletedAt: deleted ? createdAt + Math.floor(random.next() * (now - createdAt)) : null,
        totalCopies: random.pick(copyWeights),
        open: 0
      })
    }

    // Popular books and keen readers: a skewed pick makes the statistics worth looking at.
    const skewedBook = () => planned[Math.floor(random.next() ** 2 * planned.length)] as PlannedBook
    // Borrowers are verified readers (the admin too when alone).
    const skewedUser = () => {
      if (userCount === 1) return firstUserId
      let index = 1 + Math.floor(random.next() ** 1.5 * (userCount - 1))
      if (isUnverified(index)) index--
      return firstUserId + (index === 0 ? 1 : index)
    }

    // Open borrows: about 5 % of all, within the copies, the per-user limit and one per user and book.
    const openTarget = Math.min(Math.round(borrowCount * 0.05), borrowCount)
    const openPairs = new Set<string>()
    const openByUser = new Map<number, number>()
    // Every borrow is planned in typed arrays (about 24 bytes each), then written oldest first, so ids
    // follow the borrow dates and the date indexes fill in order.
    const plan = {
      userId: new Float64Array(borrowCount),
      bookId: new Float64Array(borrowCount),
      borrowedAt: new Float64Array(borrowCount),
      returnedAt: new Float64Array(borrowCount)
    }
    let openCount = 0
    for (let attempts = 0; openCount < openTarget && attempts < openTarget * 20; attempts++) {
      const book = skewedBook()
      const userId = skewedUser()
      const pair = `${userId}:${book.id}`
      if (book.deletedAt !== null || book.open >= book.totalCopies || (openByUser.get(userId) ?? 0) >= maxOpenBorrows || openPairs.has(pair)) continue
      openPairs.add(pair)
      openByUser.set(userId, (openByUser.get(userId) ?? 0) + 1)
      book.open++
      // Mostly recent, some past due.
      const earliest = Math.max(book.createdAt, now - (loanDays + 10) * day)
      plan.userId[openCount] = userId
      plan.bookId[openCount] = book.id
      plan.borrowedAt[openCount] = earliest + Math.floor(random.next() * (now - earliest))
      plan.returnedAt[openCount] = Number.NaN
      openCount++
    }
    for (let index = openCount; index < borrowCount; index++) {
      const book = skewedBook()
      const end = book.deletedAt ?? now
      // Kept a few hours to a month, never past the book's deletion or now.
      const duration = Math.min(random.integer(2 * hour, 30 * day), Math.floor((end - book.createdAt) / 2))
      const borrowedAt = book.createdAt + Math.floor(random.next() * (end - book.createdAt - duration))
      plan.userId[index] = skewedUser()
      plan.bookId[index] = book.id
      plan.borrowedAt[index] = borrowedAt
      plan.returnedAt[index] = borrowedAt + duration
    }
    const order = new Uint32Array(borrowCount).map((_, index) => index)
      .sort((a, b) => (plan.borrowedAt[a] ?? 0) - (plan.borrowedAt[b] ?? 0))

    const bookBar = bars?.create(bookCount, 0, { name: 'books  ' })
    for (let start = 0; start < bookCount; start += chunkSize) {
      const rows: Row[] = []
      for (let index = start; index < Math.min(bookCount, start + chunkSize); index++) {
        const book = planned[index] as PlannedBook
        const year = random.integer(1900, 2025)
        const title = random.next() < 0.5
          ? `The ${random.pick(adjectives)} ${random.pick(nouns)}`
          : `${random.pick(nouns)} of the ${random.pick(adjectives)} ${random.pick(nouns)}`
        rows.push([
          book.id,
          title,
          isbnFor(book.id),
          random.next() < 0.95 ? random.pick(genres) : null,
          year,
          random.next() < 0.5 ? `${year}-${String(random.integer(1, 12)).padStart(2, '0')}-${String(random.integer(1, 28)).padStart(2, '0')}` : null,
          firstAuthorId + random.integer(0, authorCount - 1),
          firstUserId + random.integer(0, userCount - 1),
          book.totalCopies,
          book.totalCopies - book.open,
          book.open,
          book.deletedAt === null ? null : new Date(book.deletedAt),
          new Date(book.createdAt),
          new Date(book.deletedAt ?? book.createdAt)
        ])
      }
      await inserter.insert('books', ['id', 'title', 'isbn', 'genre', 'publication_year', 'publication_date', 'author_id', 'owner_id', 'total_copies', 'available_copies', 'borrowed_copies', 'deleted_at', 'created_at', 'updated_at'], rows, () => bookBar?.increment(rows.length))
    }
    // Borrows refer to users and books: those must be in before the first borrow.
    await inserter.flush()

    // One INSERT at a time: triggers move each borrow's user and book totals, and parallel multi-row
    // INSERTs would lock those rows in different orders (deadlocks).
    const borrowInserter = new Inserter(pool, 1)
    const borrowColumns = ['user_id', 'book_id', 'borrowed_at', 'due_at', 'returned_at']
    const borrowBar = bars?.create(borrowCount, 0, { name: 'borrows' })
    for (let start = 0; start < borrowCount; start += chunkSize) {
      const rows: Row[] = []
      for (let position = start; position < Math.min(borrowCount, start + chunkSize); position++) {
        const index = order[position] ?? 0
        const borrowedAt = plan.borrowedAt[index] ?? 0
        const returnedAt = plan.returnedAt[index] ?? Number.NaN
        rows.push([plan.userId[index] ?? 0, plan.bookId[index] ?? 0, new Date(borrowedAt), new Date(borrowedAt + loanDays * day), Number.isNaN(returnedAt) ? null : new Date(returnedAt)])
      }
      await borrowInserter.insert('borrows', borrowColumns, rows, () => borrowBar?.increment(rows.length))
    }
    await borrowInserter.flush()
    // Fresh statistics after a bulk load, or the optimizer picks join orders for empty tables.
    await pool.query('ANALYZE TABLE users, authors, books, borrows, favorites, reviews')

    return {
      database: parseDatabaseUrl(databaseUrl).database,
      users: userCount,
      authors: authorCount,
      books: bookCount,
      deletedBooks: planned.filter((book) => book.deletedAt !== null).length,
      borrows: borrowCount,
      openBorrows: openCount,
      seconds: Math.round((Date.now() - started) / 100) / 10
    }
  } finally {
    bars?.stop()
    await pool.end()
  }
}

function count (value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value.replace(/_/g, ''))) throw new Error(`--${name} must be a whole number, not "${value}"`)
  return Number(value.replace(/_/g, ''))
}

const usage = `Usage: npm run db:seed -- [--users N] [--authors N] [--books N] [--borrows N] [--force] [--database-url URL] [--seed N]
Fills the database (DATABASE_URL unless --database-url) with generated users, authors, books and borrows.
Refuses a database that already holds users unless --force, which empties every table first.
Every seeded account's password is "${seedPassword}"; ${seedAdminEmail} is an admin.`

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      authors: { type: 'string' },
      books: { type: 'string' },
      borrows: { type: 'string' },
      seed: { type: 'string' },
      force: { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const config = loadConfig()
  const databaseUrl = values['database-url'] ?? config.DATABASE_URL
  const summary = await seedDatabase({
    databaseUrl,
    users: count(values.users, 1000, 'users'),
    authors: count(values.authors, 200, 'authors'),
    books: count(values.books, 2000, 'books'),
    borrows: count(values.borrows, 20000, 'borrows'),
    seed: count(values.seed, 1, 'seed'),
    force: values.force,
    progress: process.stderr.isTTY,
    maxOpenBorrows: config.MAX_OPEN_BORROWS,
    loanDays: config.LOAN_DAYS
  })
  console.log(`Seeded ${summary.database} in ${summary.seconds} s: ${summary.users} users, ${summary.authors} authors, ${summary.books} books (${summary.deletedBooks} soft-deleted), ${summary.borrows} borrows (${summary.openBorrows} open).`)
  console.log(`Log in as ${seedAdminEmail} (admin) or reader1@example.com with the password "${seedPassword}".`)
}

function isEntryPoint (): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(resolve(script))).href
  } catch {
    return false
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
