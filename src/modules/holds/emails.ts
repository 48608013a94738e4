import { emailLayout, escapeHtml } from '../../lib/email-html.js'
import type { MailMessage } from '../../plugins/mail.js'

type Email = Omit<MailMessage, 'to'>

export function holdReadyEmail (title: string, pickupBy: Date): Email {
  const subject = `Your hold is ready: ${title}`.slice(0, 255)
  const until = pickupBy.toISOString()
  return {
    kind: 'hold_ready',
    subject,
    text: `A copy of "${title}" is waiting for you on the hold shelf.\n\nBorrow it before ${until} (UTC); after that it goes to the next reader in the queue.\n`,
    html: emailLayout('Your hold is ready', [
      `A copy of <strong>${escapeHtml(title)}</strong> is waiting for you on the hold shelf.`,
      `Borrow it before ${escapeHtml(until)} (UTC); after that it goes to the next reader in the queue.`
    ])
  }
}

export function holdCancelledEmail (title: string): Email {
  const subject = `Your hold was cancelled: ${title}`.slice(0, 255)
  return {
    kind: 'hold_cancelled',
    subject,
    text: `"${title}" was removed from the catalogue, so your hold on it was cancelled.\n`,
    html: emailLayout('Your hold was cancelled', [
      `<strong>${escapeHtml(title)}</strong> was removed from the catalogue, so your hold on it was cancelled.`
    ])
  }
}
