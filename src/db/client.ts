import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2'
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise'
import { failFast } from './fail-fast.js'
import * as schema from './schema/index.js'

export type Database = MySql2Database<typeof schema>

/** How a schema key becomes a column name (`passwordHash` → `password_hash`); drizzle.config.ts says it too. */
export const casing = 'snake_case'

export interface DatabaseHandle {
  db: Database
  pool: Pool
}

export interface ConnectOptions {
  connectionLimit?: number
  /**
   * Fail fast: the most a request waits for a connection or for one statement (see fail-fast.ts).
   * Unset for migrations and command-line tools, whose statements may rightly run long.
   */
  timeoutMs?: number
}

/**
 * Opens the pool: utf8mb4 on the wire, so any Unicode a column can store arrives intact; UTC on the
 * wire keeps every DATETIME an instant; a bounded queue, so a stalled database cannot gather an
 * unbounded backlog of waiting requests.
 */
export function connectDatabase (url: string, { connectionLimit = 10, timeoutMs }: ConnectOptions = {}): DatabaseHandle {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit,
    queueLimit: connectionLimit * 20,
    connectTimeout: timeoutMs ?? 2000,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    enableKeepAlive: true
  })
  if (timeoutMs !== undefined) failFast(pool, timeoutMs)
  return { db: connectedDrizzle(pool), pool }
}

/** Drizzle on a pool, or on one connection of it (for work that must hold a session-level lock). */
export function connectedDrizzle (client: Pool | PoolConnection): Database {
  return drizzle({ client, schema, mode: 'default', casing })
}
