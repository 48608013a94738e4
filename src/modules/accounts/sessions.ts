import { createHmac, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError } from '../../lib/problem.js'
import type { TokenClaims, TokenKind } from '../../plugins/auth.js'
import {
  denylistAccessToken, endAllSessions, findLiveSuccessor, findRefreshToken, findUserById, insertRefreshToken,
  revokeFamily, spendRefreshToken
} from './repository.js'
import { retryOnDeadlock, type Executor } from '../../db/query-helpers.js'
import type { TokenPairView } from './schemas.js'

/**
 * Access and refresh tokens. A login starts a refresh-token family; each refresh spends the presented
 * token and issues the next of the same family; a spent token presented again revokes the family.
 */
function createSessions (app: FastifyInstance) {
  const { ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, REFRESH_REUSE_INTERVAL_SECONDS, JWT_SECRET } = app.config

  /** A new access token beside a refresh token. */
  function pairWith (user: { id: number, tokenVersion: number }, refreshToken: string): TokenPairView {
    const access = app.tokens.sign('access', { userId: user.id, tokenVersion: user.tokenVersion })
    return { access: access.token, refresh: refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL, refreshExpiresIn: REFRESH_TOKEN_TTL }
  }

  /**
   * A new access token and the next refresh token of the family (a new family: a new session). A
   * refresh names the successor's `jti` (see `successorJti`).
   */
  async function issuePair (user: { id: number, tokenVersion: number }, familyId: string = randomUUID(), db: Executor = app.db, jti?: string): Promise<TokenPairView> {
    const refresh = app.tokens.sign('refresh', { userId: user.id, tokenVersion: user.tokenVersion, familyId }, jti === undefined ? undefined : { jti })
    await insertRefreshToken(db, { jti: refresh.jti, familyId, userId: user.id, expiresAt: refresh.expiresAt })
    return pairWith(user, refresh.token)
  }

  /**
   * The successor's `jti`, derived from its parent's with a keyed hash: presenting the parent again
   * finds the same successor row, and no token is ever stored, plain or encrypted.
   */
  function successorJti (parentJti: string): string {
    const hex = createHmac('sha256', JWT_SECRET).update(`refresh-successor:${parentJti}`).digest('hex')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
  }

  /**
   * Within the reuse interval, the pair again for a successor already issued: HS256 is deterministic,
   * so its claims (jti, family, issue time recovered from its expiry) signed again give the same token.
   */
  async function reusePair (db: Executor, user: { id: number, tokenVersion: number }, parentJti: string): Promise<TokenPairView | undefined> {
    if (REFRESH_REUSE_INTERVAL_SECONDS === 0) return undefined
    const successor = await findLiveSuccessor(db, parentJti, successorJti(parentJti), REFRESH_REUSE_INTERVAL_SECONDS)
    if (successor === undefined) return undefined
    const issuedAt = new Date(successor.expiresAt.getTime() - REFRESH_TOKEN_TTL * 1000)
    const refresh = app.tokens.sign('refresh', { userId: user.id, tokenVersion: user.tokenVersion, familyId: successor.familyId }, { jti: successor.jti, issuedAt })
    return pairWith(user, refresh.token)
  }

  const revoked = (status: 400 | 401) => new ApiError('TOKEN_REVOKED', 'The token has been revoked; log in again', { status })

  /** The user behind verified claims, if the token was issued after their sessions were last ended. */
  async function currentUser (claims: TokenClaims, status: 400 | 401) {
    const user = await findUserById(app.db, Number(claims.sub))
    if (user === undefined || user.tokenVersion !== claims.ver) throw revoked(status)
    return user
  }

  async function refresh (token: string): Promise<TokenPairView> {
    const claims = app.tokens.verify(token, 'refresh', 401)
    const user = await currentUser(claims, 401)
    const row = await findRefreshToken(app.db, claims.jti)
    if (row === undefined || row.userId !== user.id) {
      throw new ApiError('TOKEN_INVALID', 'The refresh token is not known', { status: 401 })
    }
    // One transaction per attempt: the conditional UPDATE locks the token's row, so every request
    // presenting the same token queues behind it. The winner records the next token before it
    // commits; a loser then finds the token spent and revokes the family, the new token included.
    const outcome = await retryOnDeadlock(() => app.db.transaction(async (tx) => {
      if (await spendRefreshToken(tx, row.jti, user.id)) return await issuePair(user, row.familyId, tx, successorJti(row.jti))
      const current = await findRefreshToken(tx, row.jti)
      if (current !== undefined && current.spentAt === null && current.revokedAt === null) return 'expired' as const
      // Spent moments ago (two tabs, a retried request): within the reuse interval, the same successor.
      const reused = await reusePair(tx, user, row.jti)
      if (reused !== undefined) return reused
      // Spent (a reuse: the token may have been stolen) or revoked: the whole session ends.
      await revokeFamily(tx, row.familyId)
      return 'revoked' as const
    }))
    if (outcome === 'expired') throw new ApiError('TOKEN_EXPIRED', 'The refresh token has expired', { status: 401 })
    if (outcome === 'revoked') {
      app.log.warn({ userId: user.id, familyId: row.familyId }, 'refresh token reused or revoked; session family revoked')
      throw revoked(401)
    }
    return outcome
  }

  /** `POST /token/verify`: any of our tokens, checked as the routes would check it (400 when not valid). */
  async function verify (token: string) {
    const kind: TokenKind = peekKind(token)
    const claims = app.tokens.verify(token, kind, 400)
    const expiresAt = new Date(claims.exp * 1000).toISOString()
    if (kind === 'access') {
      const { userId } = await app.tokens.session(claims, 400)
      return { valid: true as const, userId, expiresAt }
    }
    const user = await currentUser(claims, 400)
    const row = await findRefreshToken(app.db, claims.jti)
    if (row === undefined || row.userId !== user.id) throw new ApiError('TOKEN_INVALID', 'The token is not known', { status: 400 })
    if (row.spentAt !== null || row.revokedAt !== null) throw revoked(400)
    return { valid: true as const, userId: user.id, expiresAt }
  }

  /** The `typ` a token claims (unverified; the signature is checked right after). */
  function peekKind (token: string): TokenKind {
    try {
      const decoded = app.jwt.decode<{ typ?: unknown }>(token)
      return decoded?.typ === 'refresh' ? 'refresh' : 'access'
    } catch {
      return 'access'
    }
  }

  /**
   * Denylists the presented access token until it expires; a refresh token given along ends its
   * session (family) when it is the caller's. One that is not valid, or someone else's, is ignored.
   */
  async function logout (auth: { userId: number, jti: string, expiresAt: Date }, refreshToken: string | undefined): Promise<void> {
    await denylistAccessToken(app.db, { jti: auth.jti, userId: auth.userId, expiresAt: auth.expiresAt })
    if (refreshToken === undefined) return
    let claims: TokenClaims
    try {
      claims = app.tokens.verify(refreshToken, 'refresh', 400)
    } catch {
      return
    }
    if (Number(claims.sub) !== auth.userId || claims.fam === undefined) return
    await revokeFamily(app.db, claims.fam, auth.userId)
  }

  async function logoutAll (userId: number): Promise<void> {
    await retryOnDeadlock(() => app.db.transaction(async (tx) => { await endAllSessions(tx, userId) }))
  }

  return { issuePair, refresh, verify, logout, logoutAll }
}

export type Sessions = ReturnType<typeof createSessions>

declare module 'fastify' {
  interface FastifyInstance {
    sessions: Sessions
  }
}

/** `app.sessions`: issuing, refreshing, checking and ending token sessions. */
export default fp(async function sessionsPlugin (app) {
  app.decorate('sessions', createSessions(app))
}, { name: 'sessions', dependencies: ['config', 'db', 'auth'] })
