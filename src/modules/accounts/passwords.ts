import { dictionary } from '@zxcvbn-ts/language-common'

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
