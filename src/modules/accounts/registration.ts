import type { FastifyInstance } from 'fastify'
import { ApiError } from '../../lib/problem.js'
import { verificationEmail, verificationLink } from './emails.js'
import { emailTokenTtlMs, hashLinkToken, newLinkToken } from './one-time-tokens.js'
import { assertPasswordPolicy } from './policy.js'
import { findEmailToken, findUserByEmail, findUserById, insertEmailToken, insertUser, markEmailVerified, spendEmailToken } from './repository.js'
import { retryOnDeadlock, type Executor } from '../../db/query-helpers.js'
import type { RecordAnswer } from '../../plugins/idempotency.js'
import type { RegisterInput } from './schemas.js'

export type VerificationOutcome = 'verified' | 'invalid' | 'expired'

/** Registration, and the email verification that must follow before tokens are issued. */
export function createRegistration (app: FastifyInstance) {
  async function issueVerificationToken (db: Executor, userId: number): Promise<string> {
    const token = newLinkToken()
    await insertEmailToken(db, { userId, purpose: 'verify_email', tokenHash: hashLinkToken(token), expiresAt: new Date(Date.now() + emailTokenTtlMs.verify_email) })
    return token
  }

  /** Creates the account; its answer is recorded (for an Idempotency-Key's retry) in the transaction that creates it. */
  async function register (input: RegisterInput, record: RecordAnswer) {
    const email = input.email.trim().toLowerCase()
    const username = input.username ?? null
    assertPasswordPolicy(input.password, email, '/body/password')
    const passwordHash = await app.passwordHasher.hash(input.password)
    // Its outbox insert can meet the sender's locking scan of the outbox: a deadlock victim runs again.
    return await retryOnDeadlock(() => app.mailer.transaction(async (tx, queue) => {
      const id = await insertUser(tx, { email, username, passwordHash })
      await queue(email, verificationEmail(verificationLink(app.config, await issueVerificationToken(tx, id))))
      const account = { id, email, username, emailVerified: false }
      await record(tx, account)
      return account
    }))
  }

  const expiredLink = () => new ApiError('TOKEN_EXPIRED', 'This verification link has expired; ask for a new one', { status: 400 })
  const isVerified = async (userId: number) => (await findUserById(app.db, userId))?.emailVerifiedAt != null

  /**
   * What the link answers before anything changes: unknown → TOKEN_INVALID; used → success again once
   * the account is verified (people click twice: `undefined`), TOKEN_INVALID otherwise; past its 24 hours
   * → TOKEN_EXPIRED (all 400). Otherwise the link's row, still to be used.
   */
  async function unusedLink (token: string) {
    const row = await findEmailToken(app.db, hashLinkToken(token), 'verify_email')
    if (row === undefined) throw new ApiError('TOKEN_INVALID', 'This verification link is not valid', { status: 400 })
    if (row.usedAt !== null) {
      if (await isVerified(row.userId)) return undefined
      throw new ApiError('TOKEN_INVALID', 'This verification link has been used', { status: 400 })
    }
    if (row.expiresAt <= new Date()) throw expiredLink()
    return row
  }

  /** Uses a verification link, answering as `unusedLink` says. */
  async function verifyEmail (token: string): Promise<void> {
    const row = await unusedLink(token)
    if (row === undefined) return
    const spent = await app.db.transaction(async (tx) => {
      if (!await spendEmailToken(tx, row.id)) return false
      await markEmailVerified(tx, row.userId)
      return true
    })
    // Lost a race with a second click on the same link: fine once the other one verified the account.
    if (!spent && !await isVerified(row.userId)) throw expiredLink()
  }

  /** Answers what `verifyEmail` would, without using the link (HEAD, which must change nothing). */
  async function checkVerificationLink (token: string): Promise<void> {
    await unusedLink(token)
  }

  /** Sends a fresh link to an unverified account; says nothing about whether the email is registered. */
  async function resendVerification (rawEmail: string): Promise<void> {
    const user = await findUserByEmail(app.db, rawEmail)
    if (user === undefined || user.emailVerifiedAt !== null) {
      // The same work as for a real account as far as it shows: make a token, store nothing.
      hashLinkToken(newLinkToken())
      return
    }
    await retryOnDeadlock(() => app.mailer.transaction(async (tx, queue) => {
      await queue(user.email, verificationEmail(verificationLink(app.config, await issueVerificationToken(tx, user.id))))
    }))
  }

  return { register, verifyEmail, checkVerificationLink, resendVerification }
}
