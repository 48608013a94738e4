import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { emailOutbox, type OutboxRow } from '../../../src/db/schema/index.js'
import { waitUntil } from '../../helpers/wait.js'
import { startResendStub, type ResendStub, type ResendStubOptions } from '../../helpers/resend-stub.js'

export const password = 'Tangerine-Kayak-Lantern-42'

/** The env that sends through Resend at the stub (RESEND_BASE_URL is read when the app builds its client). */
export async function resendAt (t: Test, options: ResendStubOptions = {}): Promise<{ stub: ResendStub, env: Record<string, string> }> {
  const stub = await startResendStub(t, options)
  process.env.RESEND_BASE_URL = stub.url
  return { stub, env: { RESEND_API_KEY: 're_test_key', MAIL_FROM: 'Bookstore <no-reply@example.test>', AUTH_RATE_LIMIT_MAX: '1000' } }
}

export async function register (app: FastifyInstance, email: string): Promise<void> {
  const response = await app.inject({ method: 'POST', url: '/api/register', payload: { email, password } })
  if (response.statusCode !== 201) throw new Error(`register answered ${response.statusCode}: ${response.body}`)
}

/** How many emails each address received, for addresses that received any. */
export function deliveriesPerAddress (stub: ResendStub): Map<string, number> {
  const counts = new Map<string, number>()
  for (const email of stub.emails) for (const to of email.to) counts.set(to, (counts.get(to) ?? 0) + 1)
  return counts
}

/** How many 200 answers each idempotency key got: more than one would mean two senders sent one row. */
export function acceptedPerKey (stub: ResendStub): number[] {
  const counts = new Map<string, number>()
  for (const request of stub.requests) {
    if (request.answer === 200 && request.idempotencyKey !== undefined) counts.set(request.idempotencyKey, (counts.get(request.idempotencyKey) ?? 0) + 1)
  }
  return [...counts.values()]
}

/** The outbox row of an address once `done` says yes (the sender works in the background). */
export async function outboxRowOf (app: FastifyInstance, address: string, done: (row: OutboxRow) => boolean, timeoutMs = 10_000): Promise<OutboxRow | undefined> {
  const read = async () => (await app.db.select().from(emailOutbox).where(eq(emailOutbox.recipient, address)))[0]
  await waitUntil(async () => { const row = await read(); return row !== undefined && done(row) }, { timeoutMs, intervalMs: 50 })
  return await read()
}
