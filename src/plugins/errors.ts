import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { driverErrorOf, problemFromDatabaseError } from '../db/errors.js'
import { redactUrl } from '../lib/logging.js'
import { ApiError, buildProblem, invalidRequest, type FieldError, type ProblemCode } from '../lib/problem.js'
import { securityHeaders } from './security.js'

/** The code for errors raised by Fastify and its plugins, which only carry a status. */
const codeByStatus: Record<number, ProblemCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE'
}

/** @fastify/jwt's failures, by its error code. */
const jwtProblems: Record<string, ProblemCode> = {
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'UNAUTHENTICATED',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'TOKEN_REVOKED',
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: 'TOKEN_INVALID',
  FST_JWT_BAD_REQUEST: 'TOKEN_INVALID',
  FST_JWT_BAD_COOKIE_REQUEST: 'TOKEN_INVALID'
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number]

function fieldErrors (issues: ValidationIssue[], context: string | undefined): FieldError[] {
  return issues.map((issue) => {
    const params = issue.params as Record<string, unknown>
    const extra = params.missingProperty ?? params.additionalProperty
    const path = `/${context ?? 'body'}${issue.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}`
    const message = params.additionalProperty !== undefined
      ? 'is not a known property'
      : params.missingProperty !== undefined ? 'is required' : issue.message ?? 'is invalid'
    return { path, message }
  })
}

/** Every error, whatever raised it, as the contract's problem. Unknown ones become 500 `INTERNAL`. */
function toApiError (error: FastifyError | Error): ApiError {
  if (error instanceof ApiError) return error
  const fastifyError = error as FastifyError
  if (fastifyError.validation !== undefined) {
    return invalidRequest(fieldErrors(fastifyError.validation, fastifyError.validationContext))
  }
  const jwtCode = fastifyError.code === undefined ? undefined : jwtProblems[fastifyError.code]
  if (jwtCode !== undefined) return new ApiError(jwtCode, jwtCode === 'UNAUTHENTICATED' ? 'Authentication is required' : 'The access token is not valid')
  const fromDatabase = problemFromDatabaseError(error)
  if (fromDatabase !== undefined) return fromDatabase
  const status = fastifyError.statusCode
  if (fastifyError.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'The request is not multipart/form-data')
  }
  if (status === 414) return new ApiError('URI_TOO_LONG', 'A path segment of the URL is too long')
  if (status !== undefined && status >= 400 && status < 500) {
    const code = codeByStatus[status] ?? 'VALIDATION_FAILED'
    return new ApiError(code, clientMessage(fastifyError), { status })
  }
  return new ApiError('INTERNAL', 'An unexpected error occurred; it has been logged')
}

/** Fastify's own 4xx messages are written for clients: `Unsupported Media Type: application/xml` and the like. */
function clientMessage (error: FastifyError): string {
  if (error instanceof SyntaxError) return 'The body is not valid JSON'
  return error.message.replace(/^FST_\w+: /, '')
}

/** A client that hung up mid-request (mid-body, usually): Node reports `aborted` / ECONNRESET on its socket. */
function isClientAbort (error: Error & { code?: string }, request: FastifyRequest): boolean {
  return request.raw.aborted || error.code === 'ECONNRESET' || error.code === 'ECONNABORTED' || error.message === 'aborted'
}

const tokenProblems: ReadonlySet<ProblemCode> = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'])

function bearerChallenge (code: ProblemCode): string {
  return tokenProblems.has(code) ? 'Bearer realm="bookstore", error="invalid_token"' : 'Bearer realm="bookstore"'
}

/**
 * Turns any error into the contract's problem, logs it (5xx with the error, the rest as a refusal) and
 * puts its status and headers on the reply; the caller sends the body (problem+json, or a page).
 */
export function prepareProblem (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): ApiError {
  const apiError = toApiError(error)
  if (isClientAbort(error, request)) {
    // Nobody is left to answer, and nothing of ours failed; the onRequestAbort hook has logged it.
    request.log.debug({ reason: (error as FastifyError).code ?? error.message }, 'the aborted request ended')
  } else if (apiError.statusCode >= 500 && apiError.code !== 'SERVICE_UNAVAILABLE') {
    // Drizzle wraps the MySQL error; its code and number, on the line itself, say what failed.
    const driverError = driverErrorOf(error)
    request.log.error({ err: error, ...(driverError === undefined ? {} : { db: { code: driverError.code, errno: driverError.errno } }) }, 'request failed')
  } else {
    request.log.info({ problem: apiError.code, detail: apiError.message }, 'request refused')
  }
  if (apiError.headers !== undefined) reply.headers(apiError.headers)
  // RFC 9110 §15.5.2 and RFC 6750 §3: a 401 names the scheme it wants, and why a token was refused.
  if (apiError.statusCode === 401) reply.header('www-authenticate', bearerChallenge(apiError.code))
  reply.code(apiError.statusCode)
  return apiError
}

export function sendProblem (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const apiError = prepareProblem(error, request, reply)
  return reply.type('application/problem+json; charset=utf-8').send(apiError.toProblem())
}

/**
 * helmet's headers as raw header lines, for the answers written straight to a socket: helmet only sets
 * them on a response, so it runs once on one that is never sent (its headers depend on no request).
 */
function securityHeaderLines (): string {
  const response = new ServerResponse(new IncomingMessage(new Socket()))
  securityHeaders(response.req, response, () => {})
  return Object.entries(response.getHeaders()).map(([name, value]) => `${name}: ${String(value)}\r\n`).join('')
}

const socketSecurityHeaders = securityHeaderLines()

/**
 * Requests Node's HTTP parser refuses (an unknown method such as `FOO`, broken framing, headers over the
 * limit) never reach Fastify's routing; they are answered on the socket, as problem+json all the same.
 */
export function sendClientErrorProblem (error: Error & { code?: string }, socket: Socket) {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const problem = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? buildProblem('REQUEST_TIMEOUT', 'The request was not received in time')
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? buildProblem('HEADERS_TOO_LARGE', 'The request headers are too large')
      : buildProblem('VALIDATION_FAILED', 'The request is not valid HTTP (an unknown method, or a malformed request line or header)')
  if (socket.writable) {
    const body = JSON.stringify(problem)
    socket.write(`HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${socketSecurityHeaders}Connection: close\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

/**
 * One place turns every error into RFC 9457 problem+json: route errors, validation, unknown routes.
 * Errors Fastify raises before routing go through `sendProblem` from `frameworkErrors` in app.ts.
 */
export default fp(async function errorsPlugin (app: FastifyInstance) {
  app.setErrorHandler(sendProblem)
  // Fastify runs this whatever phase the request was in: a client gone during authentication never
  // reaches the body parser's error, so the route's error path alone would miss it.
  app.addHook('onRequestAbort', async (request) => {
    request.log.info('client aborted the request')
  })
  app.setNotFoundHandler((request, reply) => {
    return sendProblem(new ApiError('NOT_FOUND', `No route ${request.method} ${redactUrl(request.url.split('?')[0] ?? '').slice(0, 200)}`), request, reply)
  })
}, { name: 'errors' })
