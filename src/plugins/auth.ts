import { randomUUID } from 'node:crypto'
import jwt from '@fastify/jwt'
import { eq, sql } from 'drizzle-orm'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { revokedAccessTokens, users, type User } from '../db/schema/index.js'
import { ApiError } from '../lib/problem.js'

export type TokenKind = 'access' | 'refresh'

/** The claims of our JWTs; `typ` keeps a refresh token from passing for an access token and back. */
export interface TokenClaims {
  sub: string
  typ: TokenKind
  /** The user's `tokenVersion` when the token was issued. */
  ver: number
  jti: string
  /** The refresh-token family (refresh tokens only). */
  fam?: string
  iat: number
  exp: number
}

export interface SignedToken {
  token: string
  jti: string
  expiresAt: Date
}

/** Who is calling, as the database says now (not as the token said when it was issued). */
export interface AuthContext {
  userId: number
  role: User['role']
  emailVerified: boolean
  jti: string
  expiresAt: Date
}

/** A token's chosen `jti`, and issue time to sign an issued token again (HS256 is deterministic: same claims, same token). */
export interface TokenIdentity {
  jti: string
  /** Now when unset. */
  issuedAt?: Date
}

export interface TokenService {
  sign: (kind: TokenKind, subject: { userId: number, tokenVersion: number, familyId?: string }, identity?: TokenIdentity) => SignedToken
  /** Verifies signature, algorithm, issuer, audience, expiry and kind; throws the contract's problem with `status`. */
  verify: (token: string, kind: TokenKind, status: 400 | 401) => TokenClaims
  /** The caller behind verified access claims, unless the token was logged out or the sessions ended (TOKEN_REVOKED with `status`). */
  session: (claims: TokenClaims, status: 400 | 401) => Promise<AuthContext>
}

type Hook = (request: FastifyRequest) => Promise<void>

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Omit<TokenClaims, 'iat' | 'exp'>
    user: TokenClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenService
    /** onRequest hook: a valid, unrevoked access token. */
    authenticate: Hook
    /** onRequest hook: authenticated, and the account's email is verified. */
    requireVerified: Hook
    /** onRequest hook: authenticated as an admin. */
    requireAdmin: Hook
  }
  interface FastifyRequest {
    /** Set by the authentication hooks. */
    auth: AuthContext
  }
}

const issuer = 'bookstore-api'
const audience = 'bookstore-api'

/** `Bearer <jwt>`, or the DRF-style `Token <jwt>`. */
function extractAccessToken (request: FastifyRequest): string {
  const header = request.headers.authorization
  // A scheme with nothing after it (`Bearer `, as a client without a token yet sends it) is no credential.
  if (header === undefined || /^\s*(?:(?:Bearer|Token)\s*)?$/i.test(header)) throw new ApiError('UNAUTHENTICATED', 'Authentication is required: send Authorization: Bearer <access token>')
  const match = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(header)
  if (match?.[1] === undefined) throw new ApiError('TOKEN_INVALID', 'The Authorization header must be "Bearer <access token>"')
  return match[1]
}

export interface AuthOptions {
  /** The time tokens are issued at, in ms; tests set it back to issue tokens that have already expired. */
  now?: () => number
}

/**
 * JWT access and refresh tokens (HS256 pinned, `iss`/`aud` checked, a `jti` on each) and the hooks
 * that authenticate requests. Each authenticated request asks the database, in one indexed query,
 * whether the token was logged out and whether the user's sessions were ended since it was issued.
 */
export default fp<AuthOptions>(async function authPlugin (app, { now = Date.now }) {
  const { JWT_SECRET, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL } = app.config
  await app.register(jwt, {
    secret: JWT_SECRET,
    sign: { algorithm: 'HS256', iss: issuer, aud: audience },
    verify: { algorithms: ['HS256'], allowedIss: issuer, allowedAud: audience, requiredClaims: ['sub', 'jti', 'typ', 'exp', 'iat'] }
  })

  const ttlSeconds: Record<TokenKind, number> = { access: ACCESS_TOKEN_TTL, refresh: REFRESH_TOKEN_TTL }

  /** The denylist and the user's session state, in one indexed query, prepared once (it runs on every authenticated request). */
  const sessionQuery = app.db
    .select({
      role: users.role,
      emailVerifiedAt: users.emailVerifiedAt,
      tokenVersion: users.tokenVersion,
      denylisted: sql<number>`exists(select 1 from ${revokedAccessTokens} where ${revokedAccessTokens.jti} = ${sql.placeholder('jti')})`
    })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare()

  async function session (claims: TokenClaims, status: 400 | 401): Promise<AuthContext> {
    const userId = Number(claims.sub)
    const [session] = await sessionQuery.execute({ userId, jti: claims.jti })
    if (session === undefined || Number(session.denylisted) === 1 || session.tokenVersion !== claims.ver) {
      throw new ApiError('TOKEN_REVOKED', 'The token has been revoked; log in again', { status })
    }
    return {
      userId,
      role: session.role,
      emailVerified: session.emailVerifiedAt !== null,
      jti: claims.jti,
      expiresAt: new Date(claims.exp * 1000)
    }
  }

  const tokens: TokenService = {
    sign (kind, { userId, tokenVersion, familyId }, identity) {
      const jti = identity?.jti ?? randomUUID()
      const token = app.jwt.sign(
        { sub: String(userId), typ: kind, ver: tokenVersion, jti, ...(familyId === undefined ? {} : { fam: familyId }) },
        // @fastify/jwt reads a number as seconds.
        { expiresIn: ttlSeconds[kind], clockTimestamp: identity?.issuedAt?.getTime() ?? now() }
      )
      const { exp } = app.jwt.decode<TokenClaims>(token) as TokenClaims
      return { token, jti, expiresAt: new Date(exp * 1000) }
    },
    verify (token, kind, status) {
      let claims: TokenClaims
      try {
        claims = app.jwt.verify<TokenClaims>(token)
      } catch (error) {
        const expired = (error as { code?: string }).code === 'FAST_JWT_EXPIRED'
        throw expired
          ? new ApiError('TOKEN_EXPIRED', 'The token has expired', { status })
          : new ApiError('TOKEN_INVALID', 'The token is not valid', { status })
      }
      if (claims.typ !== kind || !/^[1-9][0-9]{0,15}$/.test(claims.sub) || !Number.isSafeInteger(Number(claims.sub)) || typeof claims.ver !== 'number') {
        throw new ApiError('TOKEN_INVALID', `The token is not a valid ${kind} token`, { status })
      }
      return claims
    },
    session
  }

  async function authenticate (request: FastifyRequest) {
    request.auth = await tokens.session(tokens.verify(extractAccessToken(request), 'access', 401), 401)
  }

  app.decorate('tokens', tokens)
  app.decorateRequest('auth', null as unknown as AuthContext)
  app.decorate('authenticate', authenticate)
  app.decorate('requireVerified', async (request: FastifyRequest) => {
    await authenticate(request)
    if (!request.auth.emailVerified) throw new ApiError('EMAIL_NOT_VERIFIED', 'Verify your email address first')
  })
  app.decorate('requireAdmin', async (request: FastifyRequest) => {
    await authenticate(request)
    if (request.auth.role !== 'admin') throw new ApiError('FORBIDDEN', 'This needs the admin role')
  })
}, { name: 'auth', dependencies: ['config', 'db'] })
