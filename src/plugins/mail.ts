import type { FastifyBaseLogger } from 'fastify'
import fp from 'fastify-plugin'
import { Resend } from 'resend'

export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
}

/** Sends one email. Never rejects: a failure is logged, and the request that caused it goes on. */
export interface Mailer {
  send: (message: MailMessage) => Promise<void>
}

/** `app.mailer`: a transport, and a way to know that every email handed to it has been dealt with. */
export interface MailService extends Mailer {
  /** Resolves once no send is in flight, sends started while waiting included (sent or failed alike). */
  idle: () => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    mailer: MailService
  }
}

/** Development transport: each email, links and codes included, is written to the log. */
function logMailer (log: FastifyBaseLogger): Mailer {
  return {
    async send ({ to, subject, text }) {
      log.info({ mail: { to, subject, text } }, `email to ${to} (log transport; set RESEND_API_KEY to deliver)`)
    }
  }
}

/** Resend's SDK reports failures in `error` rather than throwing; both are caught and logged. */
function resendMailer (resend: Resend, from: string, log: FastifyBaseLogger): Mailer {
  return {
    async send ({ to, subject, text, html }) {
      try {
        const { data, error } = await resend.emails.send({ from, to, subject, text, html })
        if (error !== null) {
          log.error({ mailError: { name: error.name, message: error.message, statusCode: error.statusCode }, to, subject }, 'email not sent')
          return
        }
        log.info({ emailId: data?.id, to, subject }, 'email sent')
      } catch (error) {
        log.error({ err: error, to, subject }, 'email not sent')
      }
    }
  }
}

/**
 * `app.mailer`: Resend when `RESEND_API_KEY` is set (the SDK takes its base URL from
 * `RESEND_BASE_URL` when that is in the environment), otherwise the log. Sends still in flight when
 * the app closes are waited for.
 */
export default fp(async function mailPlugin (app) {
  const { RESEND_API_KEY, MAIL_FROM } = app.config
  const transport = RESEND_API_KEY === undefined
    ? logMailer(app.log)
    : resendMailer(new Resend(RESEND_API_KEY), MAIL_FROM, app.log)
  const pending = new Set<Promise<void>>()
  async function idle () {
    while (pending.size > 0) await Promise.allSettled([...pending])
  }
  app.decorate('mailer', {
    async send (message: MailMessage) {
      const sending = transport.send(message)
      pending.add(sending)
      try {
        await sending
      } finally {
        pending.delete(sending)
      }
    },
    idle
  })
  app.addHook('onClose', idle)
}, { name: 'mail', dependencies: ['config'] })
