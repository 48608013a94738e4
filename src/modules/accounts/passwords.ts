import { randomBytes } from 'node:crypto'
import { dictionary } from '@zxcvbn-ts/language-common'
import { compareInWorker, hashInWorker } from './bcrypt-pool.js'

/** bcrypt's work factor for stored passwords. */
export const bcryptCost = 10
export const passwordMinLength = 8
/** bcrypt reads at most 72 bytes; longer passwords are refused, never silently truncated. */
export const passwordMaxBytes = 72

let commonPasswords: Set<string> | undefined

/** The ~50 000 most common passwords of zxcvbn's list (all lower-case), loaded on first use. */
function isCommonPassword (password: string): boolean {
  commonPasswords ??= new Set(dictionary['passwords-common'])
  return commonPasswords.has(password.toLowerCase())
}

/**
 * The password rules: at least 8 characters, at most 72 UTF-8 bytes, not the email (nor its local
 * part), not a well-known common password. Returns what is wrong, empty when the password is fine.
 */
export function checkPasswordPolicy (password: string, email: string): string[] {
  const problems: string[] = []
  if ([...password].length < passwordMinLength) problems.push(`must be at least ${passwordMinLength} characters long`)
  if (Buffer.byteLength(password, 'utf8') > passwordMaxBytes) problems.push(`must be at most ${passwordMaxBytes} bytes in UTF-8`)
  const lowered = password.trim().toLowerCase()
  const address = email.trim().toLowerCase()
  if (lowered === address || lowered === address.split('@')[0]) problems.push('must not be your email address')
  if (isCommonPassword(password)) problems.push('is too common; choose a less guessable password')
  return problems
}

/** Hashing and comparing run in a worker-thread pool (see bcrypt-pool.ts), off the event loop. */
export async function hashPassword (plain: string): Promise<string> {
  return await hashInWorker(plain, bcryptCost)
}

export async function verifyPassword (plain: string, hash: string): Promise<boolean> {
  return await compareInWorker(plain, hash)
}

let dummyHash: Promise<string> | undefined

/**
 * Spends one bcrypt comparison at the same cost as a real one, for a login naming no account: an
 * unknown user and a wrong password then take about the same time. Always false.
 */
export async function spendDummyComparison (plain: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'))
  await verifyPassword(plain, await dummyHash)
  return false
}
