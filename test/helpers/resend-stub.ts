import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
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

/** One `POST /emails` as the stub answered it (`refused`: the connection was dropped unanswered). */
export interface StubRequest {
  idempotencyKey: string | undefined
  answer: number | 'refused'
}

export interface ResendStub {
  /** Base URL to put in `RESEND_BASE_URL`. */
  url: string
  /** Every email delivered, oldest first: a repeated `Idempotency-Key` is answered but not delivered again. */
  emails: CapturedEmail[]
  /** Every `POST /emails`, oldest first, whatever the answer. */
  requests: StubRequest[]
  /** Resolves with the first email (received or still to come) that matches; fails after `timeoutMs`. */
  waitFor: (match: (email: CapturedEmail) => boolean, timeoutMs?: number) => Promise<CapturedEmail>
  /** Resolves once `count` emails have been delivered; fails after `timeoutMs`. */
  waitForEmails: (count: number, timeoutMs?: number) => Promise<void>
  /** Resolves once `count` requests (any answer) have arrived; fails after `timeoutMs`. */
  waitForRequests: (count: number, timeoutMs?: number) => Promise<void>
  /** Emails sent to an address so far. */
  sentTo: (address: string) => CapturedEmail[]
  /** The next `count` requests fail with this status and a Resend-style error body. */
  failNext: (status: number, count?: number) => void
  /** Until `up()`, every request answers 500, or has its connection dropped (`refuse`). */
  down: (how: 500 | 'refuse') => void
  up: () => void
}

export interface ResendStubOptions {
  /** Like Resend's per-team limit: more requests than this within a second answer 429 with `Retry-After: 1`. */
  ratePerSecond?: number
}

function reply (response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

/**
 * A local stand-in for Resend's API, so tests run the real `resend` SDK over HTTP: `POST /emails`
 * answers `{ id }` and records the email; a key seen before gets the first answer again, as Resend's
 * idempotency keys do. Set `process.env.RESEND_BASE_URL = stub.url` before building an app with
 * `RESEND_API_KEY`.
 */
export async function startResendStub (t: TestContext, { ratePerSecond }: ResendStubOptions = {}): Promise<ResendStub> {
  const emails: CapturedEmail[] = []
  const requests: StubRequest[] = []
  const byKey = new Map<string, CapturedEmail>()
  const accepted: number[] = []
  const listeners = new Set<() => void>()
  let failures: { status: number, count: number } | undefined
  let outage: 500 | 'refuse' | undefined
  const changed = () => { for (const listener of [...listeners]) listener() }

  /** The answer other than delivery this request gets, if any: an outage, a failure, or the rate limit. */
  function refusal (response: ServerResponse): number | 'refused' | undefined {
    if (outage === 'refuse') {
      response.socket?.destroy()
      return 'refused'
    }
    const failing = outage ?? (failures !== undefined && failures.count-- > 0 ? failures.status : undefined)
    if (failing !== undefined) {
      reply(response, failing, { statusCode: failing, name: 'application_error', message: 'Simulated failure' })
      return failing
    }
    const now = Date.now()
    while (accepted.length > 0 && (accepted[0] ?? 0) <= now - 1000) accepted.shift()
    if (ratePerSecond !== undefined && accepted.length >= ratePerSecond) {
      reply(response, 429, { statusCode: 429, name: 'rate_limit_exceeded', message: `Too many requests. You can only make ${ratePerSecond} requests per second.` },
        { 'retry-after': '1', 'ratelimit-limit': String(ratePerSecond), 'ratelimit-remaining': '0', 'ratelimit-reset': '1' })
      return 429
    }
    accepted.push(now)
    return undefined
  }

  function deliver (body: { from: string, to: string | string[], subject: string, text?: string, html?: string }, headers: IncomingHttpHeaders): CapturedEmail {
    const key = headers['idempotency-key']
    const earlier = typeof key === 'string' ? byKey.get(key) : undefined
    if (earlier !== undefined) return earlier
    const email: CapturedEmail = {
      id: randomUUID(),
      from: body.from,
      to: Array.isArray(body.to) ? body.to : [body.to],
      subject: body.subject,
      text: body.text ?? '',
      html: body.html ?? '',
      headers
    }
    if (typeof key === 'string') byKey.set(key, email)
    emails.push(email)
    return email
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/emails') {
        reply(response, 404, { statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' })
        return
      }
      if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) {
        reply(response, 401, { statusCode: 401, name: 'missing_api_key', message: 'Missing API key in the authorization header.' })
        return
      }
      const key = request.headers['idempotency-key']
      const idempotencyKey = typeof key === 'string' ? key : undefined
      const refused = refusal(response)
      if (refused === undefined) {
        const email = deliver(JSON.parse(Buffer.concat(chunks).toString('utf8')), request.headers)
        reply(response, 200, { id: email.id })
      }
      requests.push({ idempotencyKey, answer: refused ?? 200 })
      changed()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo

  /** Resolves once `ready()` returns a value; rejects after `timeoutMs`. */
  function until<T> (ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = ready()
    if (found !== undefined) return Promise.resolve(found)
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = ready()
        if (value === undefined) return
        clearTimeout(timer)
        listeners.delete(check)
        resolve(value)
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`${what} at the Resend stub within ${timeoutMs} ms (${emails.length} emails, ${requests.length} requests)`))
      }, timeoutMs)
      listeners.add(check)
    })
  }

  return {
    url: `http://127.0.0.1:${port}`,
    emails,
    requests,
    sentTo: (address) => emails.filter((email) => email.to.includes(address)),
    failNext: (status, count = 1) => { failures = { status, count } },
    down: (how) => { outage = how },
    up: () => { outage = undefined },
    waitFor: (match, timeoutMs = 5000) => until(() => emails.find(match), timeoutMs, 'no matching email arrived'),
    waitForEmails: async (count, timeoutMs = 5000) => {
      await until(() => emails.length >= count || undefined, timeoutMs, `not ${count} emails`)
    },
    waitForRequests: async (count, timeoutMs = 5000) => {
      await until(() => requests.length >= count || undefined, timeoutMs, `not ${count} requests`)
    }
  }
}
