import { ApiError, type ProblemCode } from '../lib/problem.js'

interface DriverError {
  errno?: number
  code?: string
  sqlMessage?: string
  fatal?: boolean
}

/** What a client is told when one of the database's own rules refuses a write. */
const constraintProblems: Record<string, { code: ProblemCode, detail: string }> = {
  users_email_unique: { code: 'EMAIL_TAKEN', detail: 'An account with this email already exists' },
  users_username_unique: { code: 'USERNAME_TAKEN', detail: 'This username is taken' },
  books_active_isbn_unique: { code: 'ISBN_TAKEN', detail: 'An active book with this ISBN already exists' },
  PRIMARY: { code: 'CONFLICT', detail: 'This resource already exists' },
  reviews_user_book_unique: { code: 'ALREADY_REVIEWED', detail: 'You have already reviewed this book' },
  borrows_one_open_per_user_book: { code: 'ALREADY_BORROWED', detail: 'You already have this book on loan' },
  holds_one_active_per_user_book: { code: 'ALREADY_ON_HOLD', detail: 'You already have an active hold on this book' },
  books_copies_balance: { code: 'COPIES_OUT_OF_RANGE', detail: 'The copies would not add up' },
  books_author_id_authors_id_fk: { code: 'AUTHOR_HAS_BOOKS', detail: 'Books (deleted ones included) still reference this author' }
}

const duplicateKey = 1062
const checkViolations = new Set([4025, 3819]) // MariaDB, MySQL
const referencedRowMissing = 1452
const rowStillReferenced = 1451
const valueOutOfRange = new Set([1264, 1406, 1292, 1366, 1690])
/** InnoDB rolled the transaction back whole to break a deadlock: running it again is safe. */
export const deadlockErrno = 1213
const lockWaitTimeout = 1205
/**
 * The database cannot serve now. mysql2 marks `fatal` every failure of a connection (refused, reset,
 * lost, timed out, and a command on one already closed: a rollback after the server died), and
 * fail-fast.ts marks the pool's own (acquire timeout, queue full, pool closed). Bare network codes are
 * not enough: a client hanging up mid-body is an ECONNRESET too, and is not a database outage.
 */
const unavailableCodes = new Set(['PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'POOL_ACQUIRE_TIMEOUT'])

function isUnavailable (error: DriverError): boolean {
  return error.fatal === true || (error.code !== undefined && unavailableCodes.has(error.code))
}

/** Drizzle wraps driver errors in a `DrizzleQueryError`; the MySQL error is its `cause`. */
export function driverErrorOf (error: unknown): DriverError | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const candidate = current as Error & DriverError
    if (typeof candidate.errno === 'number' || isUnavailable(candidate)) return candidate
    current = candidate.cause
  }
  return undefined
}

function constraintName (message: string): string | undefined {
  return /for key '(?:[^.']+\.)?([^']+)'/.exec(message)?.[1] ?? /CONSTRAINT `([^`]+)`/.exec(message)?.[1]
}

/**
 * Turns a database error into the problem a client should see, or `undefined` when it is a fault of
 * ours (then the error handler answers 500 and logs it).
 */
export function problemFromDatabaseError (error: unknown): ApiError | undefined {
  const driverError = driverErrorOf(error)
  if (driverError === undefined) return undefined
  if (isUnavailable(driverError)) {
    return new ApiError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly', { headers: { 'retry-after': '5' } })
  }
  const message = driverError.sqlMessage ?? ''
  const errno = driverError.errno
  if (errno === duplicateKey || (errno !== undefined && checkViolations.has(errno))) {
    const known = constraintProblems[constraintName(message) ?? '']
    return known === undefined
      ? new ApiError('CONFLICT', 'The request conflicts with the current state of the resource')
      : new ApiError(known.code, known.detail)
  }
  if (errno === referencedRowMissing) return new ApiError('NOT_FOUND', 'A referenced resource does not exist')
  if (errno === rowStillReferenced) {
    const known = constraintProblems[constraintName(message) ?? '']
    return known === undefined
      ? new ApiError('CONFLICT', 'The resource is still referenced by others')
      : new ApiError(known.code, known.detail)
  }
  if (errno === deadlockErrno || errno === lockWaitTimeout) {
    // Contention, not the request: the same request succeeds once the other writes are through.
    return new ApiError('SERVICE_UNAVAILABLE', 'The database is busy with other writes; try again shortly', { headers: { 'retry-after': '1' } })
  }
  if (errno !== undefined && valueOutOfRange.has(errno)) return new ApiError('VALIDATION_FAILED', 'A value is out of the range the field accepts')
  return undefined
}
