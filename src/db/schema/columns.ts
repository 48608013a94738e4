import { sql } from 'drizzle-orm'
import { bigint, datetime } from 'drizzle-orm/mysql-core'

/**
 * Shared column builders. Ids are BIGINT UNSIGNED AUTO_INCREMENT rather than drizzle's `serial()`,
 * which MariaDB rejects; they fit a JavaScript number for any realistic table.
 */
export const id = () => bigint({ mode: 'number', unsigned: true }).autoincrement().primaryKey()

/** A reference to another table's `id`. */
export const ref = () => bigint({ mode: 'number', unsigned: true })

/** A UTC instant with millisecond precision (the pool runs with `timezone: 'Z'`). */
export const instant = () => datetime({ mode: 'date', fsp: 3 })

/** Set by the database when the row is written. */
export const now = () => instant().notNull().default(sql`current_timestamp(3)`)

export const createdAt = now
export const updatedAt = () => now().$onUpdate(() => new Date())
