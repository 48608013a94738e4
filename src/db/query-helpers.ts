import type { Database } from './client.js'
import { deadlockErrno, driverErrorOf } from './errors.js'

/** The database, or a transaction on it: what a repository function runs its queries on. */
export type Executor = Pick<Database, 'select' | 'insert' | 'update' | 'delete'>

/** The handle a `db.transaction` callback receives. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]

/** mysql2 answers writes with `[ResultSetHeader, fields]`; the rows a write matched. */
export function affectedRows (result: unknown): number {
  const header = (Array.isArray(result) ? result[0] : result) as { affectedRows?: number }
  return header.affectedRows ?? 0
}

/** A LIKE pattern matching `text` anywhere, with `%`, `_` and `\` in it matching themselves. */
export function containsPattern (text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`
}

/**
 * Runs a transaction again, after a short random pause, when InnoDB picked it as a deadlock victim
 * (it was rolled back whole, so running it again is safe).
 */
export async function retryOnDeadlock<T> (work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= attempts || driverErrorOf(error)?.errno !== deadlockErrno) throw error
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20))
    }
  }
}
