import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { startResendStub, type CapturedEmail, type ResendStub } from '../../helpers/resend-stub.js'

export const strongPassword = 'Tangerine-Kayak-Lantern-42'
export const otherStrongPassword = 'Marmalade-Zeppelin-Quartz-17'

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

export interface Registered {
  id: number
  email: string
  password: string
}

/** Registers through the API and follows the emailed link. */
export async function registerVerified (app: FastifyInstance, mail: Mail, { email, password = strongPassword, username }: { email: string, password?: string, username?: string }): Promise<Registered> {
  const since = mail.stub.emails.length
  const response = await app.inject({ method: 'POST', url: '/api/register', payload: { email, password, ...(username === undefined ? {} : { username }) } })
  if (response.statusCode !== 201) throw new Error(`register answered ${response.statusCode}: ${response.body}`)
  const sent = await mail.next(email.toLowerCase(), /confirm/i, since)
  const verified = await app.inject({ method: 'GET', url: new URL(firstLink(sent.text)).pathname })
  if (verified.statusCode !== 200) throw new Error(`verify answered ${verified.statusCode}: ${verified.body}`)
  return { id: (response.json() as { id: number }).id, email: email.toLowerCase(), password }
}

export interface Pair {
  access: string
  refresh: string
}

export async function login (app: FastifyInstance, email: string, password: string): Promise<Pair> {
  const response = await app.inject({ method: 'POST', url: '/api/token', payload: { email, password } })
  if (response.statusCode !== 200) throw new Error(`login answered ${response.statusCode}: ${response.body}`)
  return response.json() as Pair
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
