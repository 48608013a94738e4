/** The stable error codes of the contract and the status each one answers with. */
export const problemStatus = {
  VALIDATION_FAILED: 400,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  EMAIL_NOT_VERIFIED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  EMAIL_TAKEN: 409,
  USERNAME_TAKEN: 409,
  ISBN_TAKEN: 409,
  ALREADY_FAVORITE: 409,
  ALREADY_REVIEWED: 409,
  ALREADY_BORROWED: 409,
  NO_COPIES_AVAILABLE: 409,
  BORROW_LIMIT_REACHED: 409,
  ALREADY_RETURNED: 409,
  BOOK_HAS_ACTIVE_BORROWS: 409,
  AUTHOR_HAS_BOOKS: 409,
  COPIES_BELOW_BORROWED: 409,
  COPIES_OUT_OF_RANGE: 409,
  RENEWAL_LIMIT_REACHED: 409,
  BOOK_ON_HOLD: 409,
  COPIES_AVAILABLE: 409,
  ALREADY_ON_HOLD: 409,
  HOLD_LIMIT_REACHED: 409,
  HOLD_NOT_ACTIVE: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503
} as const

export type ProblemCode = keyof typeof problemStatus

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
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
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
