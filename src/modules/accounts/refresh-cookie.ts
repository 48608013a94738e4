import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { splitList } from '../../config.js'
import { ApiError } from '../../lib/problem.js'
import type { TokenPairView } from './schemas.js'

export const refreshCookieName = 'bookstore_refresh'

/**
 * The paths that read the cookie are `/api/token/refresh`, `/api/refresh`, `/api/logout` and
 * `/api/user/logout`: `/api` is the narrowest path that covers them all. Every other route ignores
 * cookies (they authenticate by the Authorization header only), so the cookie sent along there
 * carries no authority.
 */
const refreshCookiePath = '/api'

/** Where the token of a refresh or logout came from: the cookie is rotated or cleared only when it was used. */
type TokenSource = 'body' | 'cookie'

/**
 * The opt-in refresh cookie (README "Browser sessions"): set by a login that asks for it, read by
 * refresh and logout when no token is in the body, and honoured only when the request's `Origin` is
 * an allowed one (the CSRF defence beside SameSite=Strict; no Origin, no cookie).
 */
export async function createRefreshCookie (app: FastifyInstance) {
  await app.register(cookie)
  const { REFRESH_TOKEN_TTL, PUBLIC_URL, CORS_ORIGINS } = app.config
  const allowedOrigins = new Set([new URL(PUBLIC_URL).origin, ...splitList(CORS_ORIGINS)])
  const attributes = { httpOnly: true, secure: true, sameSite: 'strict', path: refreshCookiePath } as const

  /** The refresh token to use: the body's, else the cookie's from an allowed origin; none → 401. */
  function presented (request: FastifyRequest, bodyToken: string | undefined): { token: string, source: TokenSource } | undefined {
    if (bodyToken !== undefined) return { token: bodyToken, source: 'body' }
    const token = request.cookies[refreshCookieName]
    if (token === undefined || token === '') return undefined
    const origin = request.headers.origin
    if (origin === undefined || !allowedOrigins.has(origin)) {
      request.log.info({ origin }, 'refresh cookie ignored: the request does not come from an allowed origin')
      return undefined
    }
    return { token, source: 'cookie' }
  }

  function required (request: FastifyRequest, bodyToken: string | undefined) {
    const found = presented(request, bodyToken)
    if (found === undefined) {
      throw new ApiError('UNAUTHENTICATED', 'Send the refresh token in the body, or the refresh cookie from an allowed origin (Origin header)')
    }
    return found
  }

  /** In cookie mode the refresh token goes into the cookie and stays out of the body scripts can read. */
  function deliver (reply: FastifyReply, pair: TokenPairView, source: TokenSource): TokenPairView {
    if (source === 'body' || pair.refresh === undefined) return pair
    reply.setCookie(refreshCookieName, pair.refresh, { ...attributes, maxAge: REFRESH_TOKEN_TTL })
    const { refresh: _inCookie, ...body } = pair
    return body
  }

  function clear (reply: FastifyReply) {
    reply.clearCookie(refreshCookieName, attributes)
  }

  return { presented, required, deliver, clear }
}
