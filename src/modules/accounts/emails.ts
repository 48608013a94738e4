import type { Config } from '../../config.js'
import { emailLayout as layout, escapeHtml } from '../../lib/email-html.js'
import type { MailMessage } from '../../plugins/mail.js'

export { escapeHtml }

type Email = Omit<MailMessage, 'to'>
type LinkConfig = Pick<Config, 'PUBLIC_URL' | 'FRONTEND_URL'>

const trimSlash = (url: string) => url.replace(/\/+$/, '')

/** The API's own verification link, or the frontend's page carrying the same token when one is configured. */
export function verificationLink ({ PUBLIC_URL, FRONTEND_URL }: LinkConfig, token: string): string {
  return FRONTEND_URL === undefined
    ? `${trimSlash(PUBLIC_URL)}/api/verify-email/${token}`
    : `${trimSlash(FRONTEND_URL)}/verify-email?token=${token}`
}

export function passwordResetLink ({ PUBLIC_URL, FRONTEND_URL }: LinkConfig, token: string): string {
  return `${trimSlash(FRONTEND_URL ?? PUBLIC_URL)}/reset-password?token=${token}`
}

/** Where a browser lands after following a verification link, when a frontend is configured. */
export function verificationLandingUrl (frontendUrl: string, status: 'verified' | 'invalid' | 'expired'): string {
  return `${trimSlash(frontendUrl)}/email-verified?status=${status}`
}

function linkParagraph (url: string): string {
  const safe = escapeHtml(url)
  return `<a href="${safe}">${safe}</a>`
}

export function verificationEmail (link: string): Email {
  const subject = 'Confirm your email address'
  return {
    kind: 'verify_email',
    subject,
    text: `Welcome to the Bookstore!\n\nConfirm your email address by opening this link (valid for 24 hours):\n\n${link}\n\nIf you did not create an account, ignore this email.\n`,
    html: layout(subject, [
      'Welcome to the Bookstore! Confirm your email address by opening this link (valid for 24 hours):',
      linkParagraph(link),
      'If you did not create an account, ignore this email.'
    ])
  }
}

export function passwordResetEmail (link: string): Email {
  const subject = 'Reset your password'
  return {
    kind: 'password_reset',
    subject,
    text: `Someone asked to reset the password of your Bookstore account.\n\nChoose a new password here (valid for 30 minutes, usable once):\n\n${link}\n\nIf it was not you, ignore this email: your password stays as it is.\n`,
    html: layout(subject, [
      'Someone asked to reset the password of your Bookstore account. Choose a new password here (valid for 30 minutes, usable once):',
      linkParagraph(link),
      'If it was not you, ignore this email: your password stays as it is.'
    ])
  }
}

export function changePasswordCodeEmail (code: string): Email {
  const subject = 'Your password change code'
  return {
    kind: 'change_password_code',
    subject,
    text: `To change your Bookstore password, enter this code (valid for 15 minutes):\n\n${code}\n\nIf you did not ask to change your password, log in and change it now.\n`,
    html: layout(subject, [
      'To change your Bookstore password, enter this code (valid for 15 minutes):',
      `<strong style="font-size:1.5em;letter-spacing:0.1em">${escapeHtml(code)}</strong>`,
      'If you did not ask to change your password, log in and change it now.'
    ])
  }
}

export function passwordChangedEmail (how: 'changed' | 'reset'): Email {
  const subject = 'Your password was changed'
  const line = `The password of your Bookstore account was ${how} just now, and every session was logged out.`
  return {
    kind: 'password_changed',
    subject,
    text: `${line}\n\nIf this was not you, reset your password at once and contact us.\n`,
    html: layout(subject, [escapeHtml(line), 'If this was not you, reset your password at once and contact us.'])
  }
}
