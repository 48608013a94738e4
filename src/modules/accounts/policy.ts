import type { FastifyInstance } from 'fastify'
import { invalidRequest } from '../../lib/problem.js'
import type { MailMessage } from '../../plugins/mail.js'
import { checkPasswordPolicy } from './passwords.js'

/** 400 VALIDATION_FAILED, with one error per broken rule at `path`, when the password breaks the policy. */
export function assertPasswordPolicy (password: string, email: string, path: string): void {
  const problems = checkPasswordPolicy(password, email)
  if (problems.length === 0) return
  throw invalidRequest(problems.map((message) => ({ path, message })), `The password ${problems.join('; ')}`)
}

/**
 * Emails go out in the background: the response never waits for (or fails because of) the mail
 * provider, and takes the same time whether or not an email was due. `mailer.send` never rejects.
 */
export function sendMail (app: FastifyInstance, to: string, email: Omit<MailMessage, 'to'>): void {
  app.mailer.send({ to, ...email }).catch(() => {})
}
