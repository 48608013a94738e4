import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, invalidRequest } from '../../lib/problem.js'
import { passwordMaxBytes } from './passwords.js'
import { findUserByEmail, findUserByUsername } from './repository.js'
import type { LoginInput, TokenPairView } from './schemas.js'

/**
 * `POST /token`: email or username, and password. Unknown accounts and wrong passwords get the same
 * answer after the same bcrypt work; only a correct password learns that the email is unverified.
 * The attempt is counted (per account as typed and client IP) before anything is looked up, so
 * parallel guesses cannot outrun the limit, and unknown accounts are counted alike.
 */
export function createLogin (app: FastifyInstance) {
  const limiter = app.loginLimiter

  return async function login (request: FastifyRequest, input: LoginInput): Promise<TokenPairView> {
    if (input.email !== undefined && input.username !== undefined) {
      throw invalidRequest([{ path: '/body/username', message: 'must not be sent together with email' }], 'Send either email or username, not both')
    }
    const identifier = (input.email ?? input.username)?.trim()
    if (identifier === undefined || identifier === '') {
      throw invalidRequest([{ path: '/body/email', message: 'is required (or username)' }], 'Send email or username')
    }
    await limiter.count(request, identifier)
    const user = input.email !== undefined || identifier.includes('@')
      ? await findUserByEmail(app.db, identifier)
      : await findUserByUsername(app.db, identifier)

    // bcrypt ignores bytes past 72: a longer password never matches, rather than matching on a prefix.
    const tooLong = Buffer.byteLength(input.password, 'utf8') > passwordMaxBytes
    const matches = user === undefined || tooLong
      ? await app.passwordHasher.spendDummyComparison(input.password)
      : await app.passwordHasher.verify(input.password, user.passwordHash)
    if (user === undefined || !matches) throw new ApiError('INVALID_CREDENTIALS', 'The email/username or password is wrong')
    await limiter.succeeded(request, identifier)
    if (user.emailVerifiedAt === null) throw new ApiError('EMAIL_NOT_VERIFIED', 'Verify your email address first: follow the link we emailed you, or ask for a new one')
    return await app.sessions.issuePair(user)
  }
}
