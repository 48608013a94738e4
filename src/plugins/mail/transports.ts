import type { FastifyBaseLogger } from 'fastify'
import type { Resend } from 'resend'
import type { OutboxRow } from '../../db/schema/index.js'

/** What one try at delivering an email came to. */
export type Delivery =
  | { outcome: 'sent', providerId: string | null }
  | { outcome: 'retry', error: string, retryAfterMs?: number }
  | { outcome: 'failed', error: string }

export interface Transport {
  deliver: (row: OutboxRow) => Promise<Delivery>
  /** Whether sends are spaced to MAIL_RATE_PER_SECOND (a provider's limit; the log has none). */
  paced: boolean
}

/** Development transport: each email, links and codes included, is written to the log. */
export function logTransport (log: FastifyBaseLogger): Transport {
  return {
    paced: false,
    async deliver ({ recipient: to, subject, text }) {
      log.info({ mail: { to, subject, text } }, `email to ${to} (log transport; set RESEND_API_KEY to deliver)`)
      return { outcome: 'sent', providerId: null }
    }
  }
}

const sendTimeoutMs = 10_000

/** Refusals no retry can change: a malformed message, or an idempotency key reused for another message. */
function isPermanent (statusCode: number | null, name: string): boolean {
  return statusCode === 400 || statusCode === 422 || name === 'invalid_idempotent_request'
}

/** `Retry-After` in seconds (Resend sends whole seconds); a second when it is missing or unreadable. */
function retryAfterMs (value: string | undefined): number {
  const seconds = Number(value)
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000
}

/**
 * Resend, with the row's idempotency key on every try: Resend answers a repeated key with the first
 * answer and does not deliver again (for 24 hours). Its SDK reports failures in `error`, a network
 * failure with `statusCode: null`.
 */
export function resendTransport (resend: Resend, from: string): Transport {
  return {
    paced: true,
    async deliver ({ recipient, subject, text, html, idempotencyKey }) {
      const { data, error, headers } = await resend.emails.send(
        { from, to: recipient, subject, text, html },
        { idempotencyKey, signal: AbortSignal.timeout(sendTimeoutMs) }
      )
      if (error === null) return { outcome: 'sent', providerId: data.id }
      const description = `${error.statusCode ?? 'network'} ${error.name}: ${error.message}`
      if (error.statusCode === 429) return { outcome: 'retry', error: description, retryAfterMs: retryAfterMs(headers?.['retry-after']) }
      if (isPermanent(error.statusCode, error.name)) return { outcome: 'failed', error: description }
      return { outcome: 'retry', error: description }
    }
  }
}
