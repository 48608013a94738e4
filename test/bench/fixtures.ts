/** The bench's own database: dropped and seeded again, then its accounts and the ids the scenarios request. */
import mysql, { type RowDataPacket } from 'mysql2/promise'
import { createOrPromoteAdmin } from '../../src/cli/create-admin.js'
import { connectDatabase } from '../../src/db/client.js'
import { parseDatabaseUrl } from '../../src/db/migrate.js'
import { withPasswordHasher } from '../../src/modules/accounts/bcrypt-pool.js'

export const benchPassword = 'bench-Harness-Pass-2026!'
export const benchUserEmail = 'bench-reader@example.com'
export const benchAdminEmail = 'bench-admin@example.com'
export const favouriteCount = 60
/** Two-word searches over the seed's title words (src/cli/seed/plan.ts), as a reader types them. */
export const searchPhrases = ['hidden river', 'silent garden', 'golden city', 'winter library', 'forgotten ocean', 'crimson clock', 'long voyage', 'secret island']
export const genres = ['Fiction', 'Science fiction', 'Fantasy', 'Mystery', 'Thriller', 'Romance', 'Historical fiction', 'Biography', 'History', 'Poetry', 'Philosophy', 'Science', 'Travel', 'Children', 'Horror']

export async function resetDatabase (databaseUrl: string): Promise<void> {
  const { serverUrl, database } = parseDatabaseUrl(databaseUrl)
  const connection = await mysql.createConnection({ uri: serverUrl })
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(database)}`)
  } finally {
    await connection.end()
  }
}

export interface Fixtures {
  benchUserId: number
  activeBookIds: number[]
  borrowableBookIds: number[]
  month: { from: string, to: string, borrows: number }
  mariadb: string
  /** What the database holds (with --skip-seed, the scale of the earlier seed). */
  counts: { users: number, books: number, borrows: number }
}

/**
 * The bench's own accounts and data: a verified reader with favourites (inserted straight into the
 * database), an admin (createOrPromoteAdmin, as `npm run admin:create`), the ids to request, a month.
 */
export async function prepareFixtures (databaseUrl: string): Promise<Fixtures> {
  const { db, pool } = connectDatabase(databaseUrl, { connectionLimit: 2 })
  try {
    const passwordHash = await withPasswordHasher((hasher) => hasher.hash(benchPassword))
    await pool.query(
      `insert into users (email, username, password_hash, role, email_verified_at) values (?, 'bench_reader', ?, 'user', current_timestamp(3))
       on duplicate key update password_hash = values(password_hash), email_verified_at = coalesce(email_verified_at, current_timestamp(3))`,
      [benchUserEmail, passwordHash])
    const [userRows] = await pool.query<RowDataPacket[]>('select id from users where email = ?', [benchUserEmail])
    const benchUserId = Number(userRows[0]?.id)
    await createOrPromoteAdmin(db, { email: benchAdminEmail, password: benchPassword })
    await pool.query('update users set password_hash = ? where email = ?', [passwordHash, benchAdminEmail])

    const [active] = await pool.query<RowDataPacket[]>('select id from books where deleted_at is null order by id')
    const activeBookIds = active.map((row) => Number(row.id))
    if (activeBookIds.length === 0) throw new Error('the database holds no active book: seed it (drop --skip-seed)')
    // Favourites spread over the catalogue, each a second apart so the page order is stable.
    const step = Math.max(1, Math.floor(activeBookIds.length / favouriteCount))
    const favouriteRows = activeBookIds.filter((_, index) => index % step === 0).slice(0, favouriteCount)
      .map((bookId, index) => [benchUserId, bookId, new Date(Date.now() - index * 1000)])
    await pool.query('insert ignore into favorites (user_id, book_id, created_at) values ?', [favouriteRows])

    const [borrowable] = await pool.query<RowDataPacket[]>(
      `select id from books where deleted_at is null and available_copies > 0
         and id not in (select book_id from borrows where user_id = ? and returned_at is null)
       order by id limit 20000`, [benchUserId])

    const now = new Date()
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
    const [monthRows] = await pool.query<RowDataPacket[]>('select count(*) as n from borrows where borrowed_at >= ? and borrowed_at < ?', [from, to])
    const [versionRows] = await pool.query<RowDataPacket[]>('select version() as v')
    const [countRows] = await pool.query<RowDataPacket[]>('select (select count(*) from users) as users, (select count(*) from books) as books, (select count(*) from borrows) as borrows')
    return {
      benchUserId,
      activeBookIds,
      borrowableBookIds: borrowable.map((row) => Number(row.id)),
      month: { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10), borrows: Number(monthRows[0]?.n ?? 0) },
      mariadb: String(versionRows[0]?.v ?? 'unknown'),
      counts: { users: Number(countRows[0]?.users ?? 0), books: Number(countRows[0]?.books ?? 0), borrows: Number(countRows[0]?.borrows ?? 0) }
    }
  } finally {
    await pool.end()
  }
}
