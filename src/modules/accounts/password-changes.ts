import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError, notFound } from '../../lib/problem.js'
import { changePasswordCodeEmail, passwordChangedEmail, passwordResetEmail, passwordResetLink } from './emails.js'
import { emailTokenTtlMs, hashCode, hashLinkToken, maxCodeAttempts, newCode, newLinkToken } from './one-time-tokens.js'
import { assertPasswordPolicy } from './policy.js'
import {
  deleteUnusedEmailTokens, endAllSessions, findEmailToken, findLatestEmailToken, findUserByEmail, findUserById,
  insertEmailToken, markEmailVerified, reserveCodeAttempt, setPasswordHash, spendEmailToken
} from './repository.js'
import type { ChangePasswordInput, ResetConfirmInput } from './schemas.js'

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** Password change (code by email, for a logged-in user) and password reset (link by email). */
function createPasswordChanges (app: FastifyInstance) {
  const invalidCode = (detail: string) => new ApiError('TOKEN_INVALID', detail, { status: 400 })

  async function userOrThrow (userId: number) {
    const user = await findUserById(app.db, userId)
    if (user === undefined) throw notFound('User')
    return user
  }

  /** Emails a fresh code; it replaces any code sent before. */
  async function startChange (userId: number): Promise<void> {
    const user = await userOrThrow(userId)
    const code = newCode()
    await app.mailer.transaction(async (tx, queue) => {
      await deleteUnusedEmailTokens(tx, userId, 'change_password')
      await insertEmailToken(tx, { userId, purpose: 'change_password', tokenHash: hashCode(userId, code), expiresAt: new Date(Date.now() + emailTokenTtlMs.change_password) })
      await queue(user.email, changePasswordCodeEmail(code))
    })
  }

  /**
   * Each try at the code is counted before it is checked (safe under concurrency), and a try with the
   * right code but a wrong current password counts as well: five tries spend the code.
   */
  async function change (userId: number, input: ChangePasswordInput): Promise<void> {
    const user = await userOrThrow(userId)
    assertPasswordPolicy(input.newPassword, user.email, '/body/newPassword')
    const row = await findLatestEmailToken(app.db, userId, 'change_password')
    if (row === undefined || row.usedAt !== null || row.failedAttempts >= maxCodeAttempts) {
      throw invalidCode('No valid code: ask for one with GET /api/change-password')
    }
    if (row.expiresAt <= new Date()) throw new ApiError('TOKEN_EXPIRED', 'The code has expired: ask for a new one', { status: 400 })
    if (!await reserveCodeAttempt(app.db, row.id, maxCodeAttempts)) throw invalidCode('No valid code: ask for one with GET /api/change-password')
    if (!sameHash(hashCode(userId, input.code), row.tokenHash)) throw invalidCode('The code is wrong')
    if (!await app.passwordHasher.verify(input.currentPassword, user.passwordHash)) {
      throw new ApiError('INVALID_CREDENTIALS', 'The current password is wrong', { status: 400 })
    }
    const passwordHash = await app.passwordHasher.hash(input.newPassword)
    await app.mailer.transaction(async (tx, queue) => {
      if (!await spendEmailToken(tx, row.id)) throw invalidCode('The code has just been used')
      await setPasswordHash(tx, userId, passwordHash)
      await endAllSessions(tx, userId)
      await queue(user.email, passwordChangedEmail('changed'))
    })
  }

  /** Emails a reset link when the account exists (replacing any earlier link); answers the same either way. */
  async function requestReset (rawEmail: string): Promise<void> {
    const user = await findUserByEmail(app.db, rawEmail)
    const token = newLinkToken()
    const tokenHash = hashLinkToken(token)
    if (user === undefined) return
    await app.mailer.transaction(async (tx, queue) => {
      await deleteUnusedEmailTokens(tx, user.id, 'password_reset')
      await insertEmailToken(tx, { userId: user.id, purpose: 'password_reset', tokenHash, expiresAt: new Date(Date.now() + emailTokenTtlMs.password_reset) })
      await queue(user.email, passwordResetEmail(passwordResetLink(app.config, token)))
    })
  }

  /** Sets the new password, spends the link and ends every session; proving the mailbox also verifies it. */
  async function confirmReset (input: ResetConfirmInput): Promise<void> {
    const row = await findEmailToken(app.db, hashLinkToken(input.token), 'password_reset')
    if (row === undefined || row.usedAt !== null) throw invalidCode('This reset link is not valid (links work once)')
    if (row.expiresAt <= new Date()) throw new ApiError('TOKEN_EXPIRED', 'This reset link has expired; ask for a new one', { status: 400 })
    const user = await findUserById(app.db, row.userId)
    if (user === undefined) throw invalidCode('This reset link is not valid (links work once)')
    assertPasswordPolicy(input.newPassword, user.email, '/body/newPassword')
    const passwordHash = await app.passwordHasher.hash(input.newPassword)
    await app.mailer.transaction(async (tx, queue) => {
      if (!await spendEmailToken(tx, row.id)) throw invalidCode('This reset link is not valid (links work once)')
      await setPasswordHash(tx, user.id, passwordHash)
      await markEmailVerified(tx, user.id)
      await endAllSessions(tx, user.id)
      await queue(user.email, passwordChangedEmail('reset'))
    })
    // Whoever was locked out of the account by wrong guesses has now proved the mailbox.
    await app.loginLimiter.clearAccount(user)
  }

  return { startChange, change, requestReset, confirmReset }
}

declare module 'fastify' {
  interface FastifyInstance {
    passwordChanges: ReturnType<typeof createPasswordChanges>
  }
}

/** `app.passwordChanges`, shared by the API routes and the password-reset page. */
export default fp(async function passwordChangesPlugin (app) {
  app.decorate('passwordChanges', createPasswordChanges(app))
}, { name: 'password-changes', dependencies: ['config', 'db', 'mail', 'password-hasher', 'login-limiter'] })
