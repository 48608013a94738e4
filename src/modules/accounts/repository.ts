import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/mysql-core'
import { affectedRows, type Executor } from '../../db/query-helpers.js'
import { emailTokens, refreshTokens, revokedAccessTokens, users, type EmailToken, type RefreshToken, type User } from '../../db/schema/index.js'
import type { EmailTokenPurpose } from './one-time-tokens.js'

// Users

export async function insertUser (db: Executor, values: { email: string, username: string | null, passwordHash: string }): Promise<number> {
  const [row] = await db.insert(users).values(values).$returningId()
  if (row === undefined) throw new Error('user insert returned no id')
  return row.id
}

export async function findUserById (db: Executor, id: number): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id))
  return row
}

export async function findUserByEmail (db: Executor, email: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()))
  return row
}

export async function findUserByUsername (db: Executor, username: string): Promise<User | undefined> {
  const [row] = await db.select().from(users).where(eq(users.username, username))
  return row
}

export async function updateUsername (db: Executor, id: number, username: string | null): Promise<void> {
  await db.update(users).set({ username }).where(eq(users.id, id))
}

export async function markEmailVerified (db: Executor, id: number): Promise<void> {
  await db.update(users).set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, current_timestamp(3))` }).where(eq(users.id, id))
}

/**
 * Ends every session of the user: bumping `tokenVersion` voids every access and refresh token issued
 * before, and the refresh tokens are marked revoked too.
 */
export async function endAllSessions (db: Executor, userId: number): Promise<void> {
  await db.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1` }).where(eq(users.id, userId))
  await db.update(refreshTokens).set({ revokedAt: sql`current_timestamp(3)` })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
}

export async function setPasswordHash (db: Executor, userId: number, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId))
}

// One-time email tokens

export async function insertEmailToken (db: Executor, values: { userId: number, purpose: EmailTokenPurpose, tokenHash: string, expiresAt: Date }): Promise<void> {
  await db.insert(emailTokens).values(values)
}

/** Drops the user's unused tokens of a purpose: a new code or reset link replaces the previous one. */
export async function deleteUnusedEmailTokens (db: Executor, userId: number, purpose: EmailTokenPurpose): Promise<void> {
  await db.delete(emailTokens).where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)))
}

export async function findEmailToken (db: Executor, tokenHash: string, purpose: EmailTokenPurpose): Promise<EmailToken | undefined> {
  const [row] = await db.select().from(emailTokens).where(and(eq(emailTokens.tokenHash, tokenHash), eq(emailTokens.purpose, purpose)))
  return row
}

/** The user's newest token of a purpose, used or not. */
export async function findLatestEmailToken (db: Executor, userId: number, purpose: EmailTokenPurpose): Promise<EmailToken | undefined> {
  const [row] = await db.select().from(emailTokens)
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose)))
    .orderBy(desc(emailTokens.id))
    .limit(1)
  return row
}

/** Marks a token used, if nobody did first: true for exactly one caller. */
export async function spendEmailToken (db: Executor, id: number): Promise<boolean> {
  const result = await db.update(emailTokens).set({ usedAt: sql`current_timestamp(3)` })
    .where(and(eq(emailTokens.id, id), isNull(emailTokens.usedAt), sql`${emailTokens.expiresAt} > current_timestamp(3)`))
  return affectedRows(result) === 1
}

/** Counts one try at a code before it is checked; false once the tries are used up (or the code is). */
export async function reserveCodeAttempt (db: Executor, id: number, maxAttempts: number): Promise<boolean> {
  const result = await db.update(emailTokens).set({ failedAttempts: sql`${emailTokens.failedAttempts} + 1` })
    .where(and(eq(emailTokens.id, id), isNull(emailTokens.usedAt), lt(emailTokens.failedAttempts, maxAttempts)))
  return affectedRows(result) === 1
}

// Refresh tokens and the access-token denylist

export async function insertRefreshToken (db: Executor, values: { jti: string, familyId: string, userId: number, expiresAt: Date }): Promise<void> {
  await db.insert(refreshTokens).values(values)
}

export async function findRefreshToken (db: Executor, jti: string): Promise<RefreshToken | undefined> {
  const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.jti, jti))
  return row
}

/**
 * Spends a refresh token in one conditional UPDATE, so that of two requests presenting the same
 * token only one can win.
 */
export async function spendRefreshToken (db: Executor, jti: string, userId: number): Promise<boolean> {
  const result = await db.update(refreshTokens).set({ spentAt: sql`current_timestamp(3)` })
    .where(and(
      eq(refreshTokens.jti, jti),
      eq(refreshTokens.userId, userId),
      isNull(refreshTokens.spentAt),
      isNull(refreshTokens.revokedAt),
      sql`${refreshTokens.expiresAt} > current_timestamp(3)`
    ))
  return affectedRows(result) === 1
}

/**
 * The successor of a refresh token spent at most `seconds` ago, if it is still live (not spent, revoked
 * or expired): within the reuse interval presenting the parent again gets that successor back.
 */
export async function findLiveSuccessor (db: Executor, parentJti: string, successorJti: string, seconds: number): Promise<RefreshToken | undefined> {
  const parent = alias(refreshTokens, 'parent')
  const [row] = await db.select({ successor: refreshTokens }).from(refreshTokens)
    .innerJoin(parent, and(eq(parent.jti, parentJti), eq(parent.familyId, refreshTokens.familyId)))
    .where(and(
      eq(refreshTokens.jti, successorJti),
      isNull(refreshTokens.spentAt),
      isNull(refreshTokens.revokedAt),
      sql`${refreshTokens.expiresAt} > current_timestamp(3)`,
      isNull(parent.revokedAt),
      sql`${parent.spentAt} >= current_timestamp(3) - interval ${seconds} second`
    ))
  return row?.successor
}

/** Revokes every token of a refresh-token family (one login session), optionally only the user's own. */
export async function revokeFamily (db: Executor, familyId: string, userId?: number): Promise<void> {
  await db.update(refreshTokens).set({ revokedAt: sql`current_timestamp(3)` })
    .where(and(
      eq(refreshTokens.familyId, familyId),
      isNull(refreshTokens.revokedAt),
      ...(userId === undefined ? [] : [eq(refreshTokens.userId, userId)])
    ))
}

export async function denylistAccessToken (db: Executor, values: { jti: string, userId: number, expiresAt: Date }): Promise<void> {
  await db.insert(revokedAccessTokens).values(values).onDuplicateKeyUpdate({ set: { jti: sql`${revokedAccessTokens.jti}` } })
}

// Housekeeping

/** How long an expired email token is kept, so its link answers TOKEN_EXPIRED rather than TOKEN_INVALID. */
export const expiredEmailTokenRetentionMs = 7 * 24 * 60 * 60 * 1000

/** Deletes the rows nothing can use any more. Returns how many of each went. */
export async function purgeExpired (db: Executor, now = new Date()) {
  const denylist = await db.delete(revokedAccessTokens).where(lt(revokedAccessTokens.expiresAt, now))
  const refresh = await db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, now))
  const email = await db.delete(emailTokens).where(lt(emailTokens.expiresAt, new Date(now.getTime() - expiredEmailTokenRetentionMs)))
  return { revokedAccessTokens: affectedRows(denylist), refreshTokens: affectedRows(refresh), emailTokens: affectedRows(email) }
}
