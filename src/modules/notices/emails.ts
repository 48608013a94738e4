import type { NoticeKind } from '../../db/schema/index.js'
import { emailLayout, escapeHtml } from '../../lib/email-html.js'
import type { MailMessage } from '../../plugins/mail.js'

/** What a borrow notice says: whose loan, of which book, due when. */
export interface BorrowNoticeFacts {
  username: string | null
  title: string
  author: string
  dueAt: Date
}

/** `2026-12-04 17:30 UTC`: a reader's date, not an ISO timestamp. */
const readable = (instant: Date) => `${instant.toISOString().slice(0, 16).replace('T', ' ')} UTC`

// The outbox's subject holds 255 characters and a title as many: cut it, by code points, to fit.
const subjectTitle = (title: string) => {
  const chars = Array.from(title)
  return chars.length <= 200 ? title : `${chars.slice(0, 199).join('')}…`
}

const greeting = (username: string | null) => username === null ? 'Hello,' : `Hello ${username},`

function borrowNoticeEmail (kind: NoticeKind, subject: string, line: string, facts: BorrowNoticeFacts): Omit<MailMessage, 'to'> {
  const close = 'Return it, or renew it if nobody is waiting for it.'
  return {
    kind,
    subject,
    text: `${greeting(facts.username)}\n\n${line}\n\n${close}\n`,
    html: emailLayout(subject, [escapeHtml(greeting(facts.username)), escapeHtml(line), close])
  }
}

export function dueSoonEmail (facts: BorrowNoticeFacts): Omit<MailMessage, 'to'> {
  return borrowNoticeEmail('due_soon', `Due soon: ${subjectTitle(facts.title)}`,
    `"${facts.title}" by ${facts.author}, which you borrowed, is due back on ${readable(facts.dueAt)}.`, facts)
}

export function overdueEmail (facts: BorrowNoticeFacts): Omit<MailMessage, 'to'> {
  return borrowNoticeEmail('overdue', `Overdue: ${subjectTitle(facts.title)}`,
    `"${facts.title}" by ${facts.author}, which you borrowed, was due back on ${readable(facts.dueAt)} and is now overdue.`, facts)
}
