import type { FastifyReply } from 'fastify'
import { escapeHtml } from '../../lib/email-html.js'

/** Answers of this API that are pages (links opened without a frontend): readable, nothing to load. */
const pageSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"

/** A small page of the API's own; `bodyHtml` must already be escaped. */
export function htmlPage (title: string, bodyHtml: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>' +
    `<body style="font-family:sans-serif;max-width:32em;margin:4em auto;line-height:1.5"><h1>${escapeHtml(title)}</h1>${bodyHtml}</body></html>`
}

/** Sends a page with the content policy that lets it render (the JSON answers' policy allows nothing). */
export function sendPage (reply: FastifyReply, status: number, html: string) {
  return reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', pageSecurityPolicy).send(html)
}

/** The small page a browser sees after following a verification link. */
export function verificationPage (outcome: 'verified' | 'invalid' | 'expired'): string {
  const pages = {
    verified: ['Email verified', 'Your email address is confirmed. You can now log in.'],
    invalid: ['Link not valid', 'This verification link is not valid. Ask for a new one.'],
    expired: ['Link expired', 'This verification link has expired. Ask for a new one.']
  } as const
  const [title, body] = pages[outcome]
  return htmlPage(title, `<p>${body}</p>`)
}
