import { and, eq, lt } from 'drizzle-orm'
import type { Executor } from '../../db/query-helpers.js'
import { affectedRows } from '../../db/query-helpers.js'
import { idempotencyKeys } from '../../db/schema/index.js'

/** Which key, and which request holds it. */
export interface Claim {
  scope: string
  keyHash: string
  claimId: string
}

export interface NewClaim extends Claim {
  fingerprint: string
  createdAt: Date
  expiresAt: Date
}

/** What a retry is answered with. */
export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

const ofClaim = ({ scope, keyHash, claimId }: Claim) => and(
  eq(idempotencyKeys.scope, scope),
  eq(idempotencyKeys.keyHash, keyHash),
  eq(idempotencyKeys.claimId, claimId),
  eq(idempotencyKeys.status, 'in_progress')
)

/** Takes a free key (one statement, committed at once so concurrent requests see it); false when the key exists. */
export async function insertClaim (db: Executor, claim: NewClaim): Promise<boolean> {
  return affectedRows(await db.insert(idempotencyKeys).ignore().values(claim)) === 1
}

export async function findKey (db: Executor, scope: string, keyHash: string) {
  const [row] = await db.select().from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.keyHash, keyHash)))
  return row
}

/** Takes over an expired or abandoned row, unless another request took it first (it holds `previous` no more). */
export async function takeOverClaim (db: Executor, previousClaimId: string, claim: NewClaim): Promise<boolean> {
  const taken = await db.update(idempotencyKeys)
    .set({ ...claim, status: 'in_progress', responseStatus: null, responseHeaders: null, responseBody: null })
    .where(and(eq(idempotencyKeys.scope, claim.scope), eq(idempotencyKeys.keyHash, claim.keyHash), eq(idempotencyKeys.claimId, previousClaimId)))
  return affectedRows(taken) === 1
}

/** Stores the answer of the request holding the claim; false when it holds it no more (taken over). */
export async function completeClaim (db: Executor, claim: Claim, answer: StoredAnswer): Promise<boolean> {
  const done = await db.update(idempotencyKeys)
    .set({ status: 'done', responseStatus: answer.status, responseHeaders: answer.headers, responseBody: answer.body })
    .where(ofClaim(claim))
  return affectedRows(done) === 1
}

/** Frees the key after a failure (5xx); an answer already stored, committed with its change, stays. */
export async function releaseClaim (db: Executor, claim: Claim): Promise<void> {
  await db.delete(idempotencyKeys).where(ofClaim(claim))
}

/** Deletes the keys past their 24 hours; returns how many went. */
export async function purgeExpiredKeys (db: Executor, now: Date): Promise<number> {
  return affectedRows(await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)))
}
