import { createHash, randomBytes, randomInt } from 'node:crypto'
import type { EmailToken } from '../../db/schema/index.js'

export type EmailTokenPurpose = EmailToken['purpose']

/** How long each kind of emailed token stays valid. */
export const emailTokenTtlMs: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 60 * 60 * 1000,
  password_reset: 30 * 60 * 1000,
  change_password: 15 * 60 * 1000
}

/** Wrong tries that spend a change-password code. */
export const maxCodeAttempts = 5
export const codeDigits = 8

/** A link token: 256 random bits, base64url (43 characters). */
export function newLinkToken (): string {
  return randomBytes(32).toString('base64url')
}

/** A numeric code a person can type. */
export function newCode (): string {
  return Array.from({ length: codeDigits }, () => randomInt(10)).join('')
}

/** What is stored for a link token: its SHA-256, hex. */
export function hashLinkToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * What is stored for a code: the SHA-256 of the code bound to its user, so two users holding the same
 * short code never collide on the unique hash key.
 */
export function hashCode (userId: number, code: string): string {
  return createHash('sha256').update(`change_password:${userId}:${code.trim()}`).digest('hex')
}
