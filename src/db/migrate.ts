import { fileURLToPath } from 'node:url'
import { migrate } from 'drizzle-orm/mysql2/migrator'
import mysql from 'mysql2/promise'
import { connectDatabase } from './client.js'

// src/db and dist/db both sit two levels below the project root.
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url))

/** Splits `mysql://user@host:3306/name?opts` into the server URL and the database name. */
export function parseDatabaseUrl (url: string): { serverUrl: string, database: string } {
  const parsed = new URL(url)
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  parsed.pathname = '/'
  return { serverUrl: parsed.toString(), database }
}

export async function createDatabaseIfMissing (url: string): Promise<void> {
  const { serverUrl, database } = parseDatabaseUrl(url)
  const connection = await mysql.createConnection({ uri: serverUrl, connectTimeout: 5000 })
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${connection.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await connection.end()
  }
}

/**
 * Creates the database when missing and applies the pending migrations from `drizzle/`. A named lock
 * keeps several instances starting at once from migrating together.
 */
export async function migrateDatabase (url: string): Promise<void> {
  await createDatabaseIfMissing(url)
  const { db, pool } = connectDatabase(url, { connectionLimit: 2 })
  try {
    const connection = await pool.getConnection()
    try {
      await connection.query("SELECT GET_LOCK('bookstore_migrations', 60)")
      await migrate(db, { migrationsFolder })
    } finally {
      await connection.query("SELECT RELEASE_LOCK('bookstore_migrations')")
      connection.release()
    }
  } finally {
    await pool.end()
  }
}
