import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2'
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise'
import * as schema from './schema/index.js'

export type Database = MySql2Database<typeof schema>

export interface DatabaseHandle {
  db: Database
  pool: Pool
}

/**
 * Opens the pool. Short connect timeouts make an outage answer fast (503) instead of hanging
 * requests; UTC on the wire keeps every DATETIME an instant.
 */
export function connectDatabase (url: string, { connectionLimit = 10 }: { connectionLimit?: number } = {}): DatabaseHandle {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    connectTimeout: 2000,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    enableKeepAlive: true
  })
  return { db: connectedDrizzle(pool), pool }
}

/** Drizzle on a pool, or on one connection of it (for work that must hold a session-level lock). */
export function connectedDrizzle (client: Pool | PoolConnection): Database {
  return drizzle({ client, schema, mode: 'default', casing: 'snake_case' })
}
