import type { Pool } from 'mysql2/promise'

/**
 * What this relies on of mysql2 3.x's core (lib/base/connection.js, lib/commands/query.js): every
 * statement is a command passed to `addCommand`; queries and executes honour a `timeout` (they carry
 * `queryTimeout`) and fail with PROTOCOL_SEQUENCE_TIMEOUT, but leave the connection waiting for the
 * answer, so a timed-out connection is destroyed rather than handed to the next request.
 */
interface Command {
  timeout?: number
  queryTimeout?: unknown
  onResult?: (error: (Error & { code?: string }) | null, ...results: unknown[]) => void
}

interface CommandQueue {
  addCommand: (command: Command) => unknown
  destroy: () => void
}

function isCommandQueue (value: unknown): value is CommandQueue {
  return typeof value === 'object' && value !== null && 'addCommand' in value && typeof value.addCommand === 'function' &&
    'destroy' in value && typeof value.destroy === 'function'
}

function timeEachQuery (connection: CommandQueue, timeoutMs: number) {
  const add = connection.addCommand.bind(connection)
  connection.addCommand = (command) => {
    if ('queryTimeout' in command && command.timeout === undefined) {
      command.timeout = timeoutMs
      const deliver = command.onResult
      if (deliver !== undefined) {
        command.onResult = (error, ...results) => {
          if (error?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy()
          deliver(error, ...results)
        }
      }
    }
    return add(command)
  }
}

export class AcquireTimeoutError extends Error {
  code = 'POOL_ACQUIRE_TIMEOUT'
  fatal = true
  constructor (timeoutMs: number) {
    super(`No database connection within ${timeoutMs} ms`)
  }
}

/**
 * Makes a pool fail fast on a sick database: getting a connection (a free one, a new one, or a place in
 * the bounded queue) gives up after `timeoutMs`, and so does each statement. mysql2 has no acquire
 * timeout of its own. Every failure of the pool itself is marked `fatal`, as mysql2 marks a lost
 * connection, so that one rule (db/errors.ts) answers all of them 503.
 */
export function failFast (pool: Pool, timeoutMs: number): void {
  const core = pool.pool
  core.on('connection', (connection: unknown) => {
    if (isCommandQueue(connection)) timeEachQuery(connection, timeoutMs)
  })
  const acquire = core.getConnection.bind(core)
  core.getConnection = (callback) => {
    let waiting = true
    const timer = setTimeout(() => {
      waiting = false
      // mysql2 itself calls back with the error alone when it has no connection.
      callback(new AcquireTimeoutError(timeoutMs), undefined as never)
    }, timeoutMs)
    acquire((error, connection) => {
      if (!waiting) {
        if (error === null) connection.release()
        return
      }
      waiting = false
      clearTimeout(timer)
      if (error !== null) Object.assign(error, { fatal: true })
      callback(error, connection)
    })
  }
}
