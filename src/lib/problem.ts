/**
 * The catalogue of the stable error codes: the status each one answers with by default and what it
 * means to a client. `ApiError` takes its status from here, and the OpenAPI document its error
 * descriptions, examples and the guide's table, so a code is described once.
 */
export const problemCatalogue = {
  VALIDATION_FAILED: { status: 400, meaning: 'The request is malformed or a field is invalid; `errors` lists each field' },
  TOKEN_INVALID: { status: 401, meaning: 'The token or code is not valid (401 for bearer and refresh tokens, 400 for one in a body)' },
  TOKEN_EXPIRED: { status: 401, meaning: 'The token or code has expired (401 for bearer and refresh tokens, 400 for one in a body)' },
  TOKEN_REVOKED: { status: 401, meaning: 'The token was logged out, rotated away or revoked by a password change (401; 400 for one in a body)' },
  UNAUTHENTICATED: { status: 401, meaning: 'No access token was sent' },
  INVALID_CREDENTIALS: { status: 401, meaning: 'Wrong email, username or password (400 for the current password on change-password)' },
  EMAIL_NOT_VERIFIED: { status: 403, meaning: 'The account has not verified its email address yet' },
  FORBIDDEN: { status: 403, meaning: 'The caller may not do this (not the owner, or not an admin)' },
  NOT_FOUND: { status: 404, meaning: 'No such resource, or not one the caller may see' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'The path does not answer this method' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'The request did not arrive whole in time' },
  EMAIL_TAKEN: { status: 409, meaning: 'An account already uses this email address' },
  USERNAME_TAKEN: { status: 409, meaning: 'An account already uses this username' },
  ISBN_TAKEN: { status: 409, meaning: 'An active book already has this ISBN' },
  ALREADY_FAVORITE: { status: 409, meaning: 'The book is already a favourite' },
  ALREADY_REVIEWED: { status: 409, meaning: 'The caller has already reviewed this book' },
  ALREADY_BORROWED: { status: 409, meaning: 'The caller already has an open borrow of this book' },
  NO_COPIES_AVAILABLE: { status: 409, meaning: 'No copy of the book is on the shelf' },
  BORROW_LIMIT_REACHED: { status: 409, meaning: 'The caller has as many open borrows as allowed (MAX_OPEN_BORROWS)' },
  ALREADY_RETURNED: { status: 409, meaning: 'The borrow has already been returned' },
  BOOK_HAS_ACTIVE_BORROWS: { status: 409, meaning: 'Copies of the book are still out on loan' },
  AUTHOR_HAS_BOOKS: { status: 409, meaning: 'Books (deleted ones included) still reference the author' },
  COPIES_BELOW_BORROWED: { status: 409, meaning: 'totalCopies would fall below the copies out on loan' },
  COPIES_OUT_OF_RANGE: { status: 409, meaning: 'availableCopies must stay within 0 … totalCopies − open borrows' },
  RENEWAL_LIMIT_REACHED: { status: 409, meaning: 'The borrow has been renewed as often as allowed (MAX_RENEWALS)' },
  BOOK_ON_HOLD: { status: 409, meaning: 'Someone is waiting for the book, so it cannot be renewed' },
  COPIES_AVAILABLE: { status: 409, meaning: 'A copy is on the shelf: borrow it instead of placing a hold' },
  ALREADY_ON_HOLD: { status: 409, meaning: 'The caller already has an active hold on this book' },
  HOLD_LIMIT_REACHED: { status: 409, meaning: 'The caller has as many active holds as allowed (MAX_ACTIVE_HOLDS)' },
  HOLD_NOT_ACTIVE: { status: 409, meaning: 'The hold has already ended' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, meaning: 'A request with this Idempotency-Key is still running' },
  CONFLICT: { status: 409, meaning: 'The change conflicts with the current state of the resource' },
  PRECONDITION_FAILED: { status: 412, meaning: 'The resource changed since the ETag sent in If-Match' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body is larger than allowed (MAX_UPLOAD_BYTES for files)' },
  URI_TOO_LONG: { status: 414, meaning: 'The URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body is not of a type the route takes (a PDF, JSON, …)' },
  RANGE_NOT_SATISFIABLE: { status: 416, meaning: 'The Range header asks for bytes the file does not have' },
  EXPECTATION_FAILED: { status: 417, meaning: 'The Expect header asks for something other than 100-continue' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, meaning: 'The Idempotency-Key was used with another body or route' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests; wait Retry-After seconds' },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'The request headers are too large' },
  INTERNAL: { status: 500, meaning: 'An unexpected failure; the request id is logged' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'A dependency (the database) is unavailable; retry after Retry-After seconds' }
} as const satisfies Record<string, { status: number, meaning: string }>

export type ProblemCode = keyof typeof problemCatalogue

/** The default status of each code. */
export const problemStatus = Object.fromEntries(Object.entries(problemCatalogue).map(([code, { status }]) => [code, status])) as { [Code in ProblemCode]: typeof problemCatalogue[Code]['status'] }

export interface FieldError {
  path: string
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  errors?: FieldError[]
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

/** `ISBN_TAKEN` → `urn:problem:bookstore:isbn-taken`: stable, and never mistaken for a fetchable page. */
export function problemType (code: ProblemCode): string {
  return `urn:problem:bookstore:${code.toLowerCase().replaceAll('_', '-')}`
}

/**
 * An error a handler raises on purpose. The error handler turns it into problem+json; its message is
 * the `detail` a client reads, so it must never carry internals.
 */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly statusCode: number
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor (
    readonly code: ProblemCode,
    detail: string,
    options: { status?: number, errors?: FieldError[], headers?: Record<string, string> } = {}
  ) {
    super(detail)
    this.statusCode = options.status ?? problemStatus[code]
    this.errors = options.errors
    this.headers = options.headers
  }

  toProblem (): Problem {
    return buildProblem(this.code, this.message, { status: this.statusCode, errors: this.errors })
  }
}

export function buildProblem (code: ProblemCode, detail: string, { status = problemStatus[code], errors }: { status?: number, errors?: FieldError[] | undefined } = {}): Problem {
  return {
    type: problemType(code),
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors === undefined ? {} : { errors })
  }
}

/**
 * A 400 `VALIDATION_FAILED` listing each invalid field; its detail is worded like the schema
 * validator's answers unless `detail` is given.
 */
export function invalidRequest (errors: FieldError[], detail = `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`): ApiError {
  return new ApiError('VALIDATION_FAILED', detail, { errors })
}

export const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} not found`)
export const forbidden = (detail = 'You may not change this resource') => new ApiError('FORBIDDEN', detail)
