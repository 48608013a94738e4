import { realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.js'
import { seedAdminEmail, seedPassword } from './seed/plan.js'
import { seedDatabase } from './seed/write.js'

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
  const summary = await seedDatabase({
    databaseUrl: values['database-url'] ?? config.DATABASE_URL,
    users: count(values.users, 1000, 'users'),
    authors: count(values.authors, 200, 'authors'),
    books: count(values.books, 2000, 'books'),
    borrows: count(values.borrows, 20000, 'borrows'),
    seed: count(values.seed, 1, 'seed'),
    force: values.force,
    progress: process.stderr.isTTY,
    maxOpenBorrows: config.MAX_OPEN_BORROWS,
    loanDays: config.LOAN_DAYS,
    maxActiveHolds: config.MAX_ACTIVE_HOLDS,
    pickupDays: config.HOLD_PICKUP_DAYS
  })
  console.log(`Seeded ${summary.database} in ${summary.seconds} s: ${summary.users} users, ${summary.authors} authors, ${summary.books} books (${summary.deletedBooks} soft-deleted), ${summary.borrows} borrows (${summary.openBorrows} open), ${summary.holds} holds (${summary.activeHolds} active).`)
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
