import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from './build.js'

/** An email as Resend's `POST /emails` received it from the SDK. */
export interface CapturedEmail {
  id: string
  from: string
  to: string[]
  subject: string
  text: string
  html: string
  headers: IncomingHttpHeaders
}

export interface ResendStub {
  /** Base URL to put in `RESEND_BASE_URL`. */
  url: string
  /** Every email received, oldest first. */
  emails: CapturedEmail[]
  /** Resolves with the first email (received or still to come) that matches; fails after `timeoutMs`. */
  waitFor: (match: (email: CapturedEmail) => boolean, timeoutMs?: number) => Promise<CapturedEmail>
  /** Emails sent to an address so far. */
  sentTo: (address: string) => CapturedEmail[]
  /** The next `count` requests fail with this status and a Resend-style error body. */
  failNext: (status: number, count?: number) => void
}

/**
 * A local stand-in for Resend's API, so tests run the real `resend` SDK over HTTP: `POST /emails`
 * answers `{ id }` and records the email. Set `process.env.RESEND_BASE_URL = stub.url` before
 * building an app with `RESEND_API_KEY`.
 */
export async function startResendStub (t: TestContext): Promise<ResendStub> {
  const emails: CapturedEmail[] = []
  const waiters: Array<{ match: (email: CapturedEmail) => boolean, resolve: (email: CapturedEmail) => void }> = []
  let failures: { status: number, count: number } | undefined

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const reply = (status: number, body: object) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      }
      if (request.method !== 'POST' || request.url !== '/emails') {
        reply(404, { statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' })
        return
      }
      if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) {
        reply(401, { statusCode: 401, name: 'missing_api_key', message: 'Missing API key in the authorization header.' })
        return
      }
      if (failures !== undefined && failures.count > 0) {
        failures.count--
        reply(failures.status, { statusCode: failures.status, name: 'application_error', message: 'Simulated failure' })
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { from: string, to: string | string[], subject: string, text?: string, html?: string }
      const email: CapturedEmail = {
        id: randomUUID(),
        from: body.from,
        to: Array.isArray(body.to) ? body.to : [body.to],
        subject: body.subject,
        text: body.text ?? '',
        html: body.html ?? '',
        headers: request.headers
      }
      emails.push(email)
      for (const waiter of [...waiters]) {
        if (waiter.match(email)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(email)
        }
      }
      reply(200, { id: email.id })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    emails,
    sentTo: (address) => emails.filter((email) => email.to.includes(address)),
    failNext: (status, count = 1) => { failures = { status, count } },
    waitFor: (match, timeoutMs = 5000) => {
      const found = emails.find(match)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise<CapturedEmail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.findIndex((waiter) => waiter.resolve === done), 1)
          reject(new Error('no matching email arrived at the Resend stub'))
        }, timeoutMs)
        const done = (email: CapturedEmail) => { clearTimeout(timer); resolve(email) }
        waiters.push({ match, resolve: done })
      })
    }
  }
}
