import type { Test } from 'tap'
import { startResendStub, type CapturedEmail, type ResendStub } from './resend-stub.js'

export interface Mail {
  stub: ResendStub
  /** Env for `build()`: the Resend transport pointed at the stub. */
  env: Record<string, string>
  /** The next email to `to` whose subject matches, among those arriving after `since`. */
  next: (to: string, subject: RegExp, since: number) => Promise<CapturedEmail>
}

/**
 * Starts the Resend stub and points the real SDK at it. The SDK reads RESEND_BASE_URL from the
 * environment when it is constructed, so this runs before the app is built.
 */
export async function setupMail (t: Test): Promise<Mail> {
  const stub = await startResendStub(t)
  process.env.RESEND_BASE_URL = stub.url
  return {
    stub,
    env: { RESEND_API_KEY: 're_test_key', MAIL_FROM: 'Bookstore <no-reply@example.test>' },
    next: (to, subject, since) => stub.waitFor((email) => stub.emails.indexOf(email) >= since && email.to.includes(to) && subject.test(email.subject))
  }
}

/** The first URL in a text. */
export function firstLink (text: string): string {
  const match = /https?:\/\/\S+/.exec(text)
  if (match === null) throw new Error(`no link in: ${text}`)
  return match[0]
}

/** The token at the end of a verification link (`…/verify-email/<token>` or `…?token=<token>`). */
export function tokenOf (link: string): string {
  const url = new URL(link)
  return url.searchParams.get('token') ?? url.pathname.split('/').pop() ?? ''
}

/** The change-password code: on its own line after the word "code". */
export function codeOf (text: string): string {
  const match = /code[^\n]*\n+\s*(\d{6,})\s*\n/i.exec(text)
  if (match?.[1] === undefined) throw new Error(`no code in: ${text}`)
  return match[1]
}
