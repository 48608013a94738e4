import type { Config } from '../config.js'
import { problemCatalogue } from '../lib/problem.js'

/** `900` → "15 minutes", `604800` → "7 days": lifetimes as a reader says them. */
function duration (seconds: number): string {
  const units = [['day', 86400], ['hour', 3600], ['minute', 60]] as const
  const [unit, size] = units.find(([, size]) => seconds % size === 0 && seconds >= size) ?? ['second', 1]
  const count = seconds / size
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

/** The table of every error code, generated from the one catalogue (src/lib/problem.ts). */
function errorTable (): string {
  const rows = Object.entries(problemCatalogue).map(([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`)
  return ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n')
}

/**
 * The guide at the top of Swagger UI (`info.description`, Markdown): what an integrator needs before
 * pressing Execute, with the figures of the running configuration.
 */
export function docsGuide (config: Config): string {
  return `Books, authors, favourites, reviews, borrowing and shared PDFs.

## Getting started in five steps
1. **Register**: \`POST /api/register\` with its example body.
2. **Verify the email**: open the link of the verification email (without \`RESEND_API_KEY\` it is written to the server log), or send its token to \`POST /api/verify-email/{token}\`.
3. **Log in**: \`POST /api/token\` with the same email and password; copy the \`access\` value of the answer.
4. **Authorize**: press *Authorize* and paste the \`access\` value alone (without "Bearer ").
5. **Use the API**: add a book (\`POST /api/books\`), borrow it (\`POST /api/borrows\`), return it. Routes marked admin (authors, statistics) need an admin: \`npm run admin:create -- --email reader@example.com --password <password>\` promotes the account, then log in again.

## Tokens
- The **access token** (a JWT) lives ${duration(config.ACCESS_TOKEN_TTL)} (\`ACCESS_TOKEN_TTL\`); send it as \`Authorization: Bearer <access>\`. \`expiresIn\` in the login answer says the same in seconds.
- The **refresh token** lives ${duration(config.REFRESH_TOKEN_TTL)} (\`REFRESH_TOKEN_TTL\`). \`POST /api/token/refresh\` spends it and answers a new pair (**rotation**): keep the new refresh token, the old one is dead.
- **Reuse detection**: presenting a spent refresh token again revokes its whole session (401 \`TOKEN_REVOKED\`), the newest refresh token included, since a replayed token may be a stolen one.
- **One refresh at a time**: two parallel refreshes with the same token end the session as above. Browser tabs should share one refresh: let one tab refresh (a [Web Lock](https://developer.mozilla.org/docs/Web/API/Web_Locks_API) named e.g. "refresh") and hand the new pair to the others (a \`BroadcastChannel\` or a \`storage\` event); a tab that waited reads the pair instead of refreshing again.${config.REFRESH_REUSE_INTERVAL_SECONDS > 0 ? ` This server lets a refresh token be presented again up to ${config.REFRESH_REUSE_INTERVAL_SECONDS} s after its rotation and answers the same successor (\`REFRESH_REUSE_INTERVAL_SECONDS\`).` : ''}
- **Browsers**: login with \`"refreshCookie": true\` keeps the refresh token in an HttpOnly, SameSite=Strict cookie (Path=/api) instead of the body, out of reach of scripts; refresh and logout then take no body and read the cookie, only from the API's own origin or one in \`CORS_ORIGINS\` (checked by \`Origin\`). Call with \`fetch(url, { credentials: 'include' })\`.
- \`POST /api/logout\` ends the access token (and the session of a refresh token sent along); \`POST /api/logout/all\` and a password change end every session.

## Errors
Every error is \`application/problem+json\` (RFC 9457): \`{ type, title, status, detail, code, errors? }\`. Branch on \`code\`, never on \`detail\`; each operation lists the codes it may answer under each status.

${errorTable()}

## Rate limits
${config.RATE_LIMIT_MAX} requests a minute per client overall (\`RATE_LIMIT_MAX\`), ${config.AUTH_RATE_LIMIT_MAX} a minute per IP on each of register, login, password reset and resend-verification (\`AUTH_RATE_LIMIT_MAX\`), ${config.BORROW_RATE_LIMIT_PER_HOUR} borrow requests an hour per user (\`BORROW_RATE_LIMIT_PER_HOUR\`), and failed logins per account and IP. Limited responses carry \`x-ratelimit-limit\`, \`x-ratelimit-remaining\` and \`x-ratelimit-reset\`; a refusal is 429 \`RATE_LIMITED\` with \`Retry-After\` (seconds).

## Idempotency keys
A \`POST\` that creates or changes something accepts an \`Idempotency-Key\` header (1–255 visible ASCII characters, e.g. a UUID), kept 24 hours per caller: retrying with the same key and body answers the first answer again (\`Idempotent-Replayed: true\`) without doing it twice; the same key with another body is 422 \`IDEMPOTENCY_KEY_REUSED\`, and while the first request runs 409 \`IDEMPOTENCY_IN_PROGRESS\`. Retry a borrow, review or registration whose answer was lost with the same key.

## ETags and conditional requests
\`GET /api/books/{id}\`, \`GET /api/authors/{id}\` and downloads send an \`ETag\`: send it back in \`If-None-Match\` to get 304 when nothing changed. \`PUT\`, \`PATCH\` and \`DELETE\` of a book accept \`If-Match\`: when the book changed since, 412 \`PRECONDITION_FAILED\` and nothing changes.

## Pagination
Lists take \`page\` (from 1) and \`pageSize\` (1–100, default 20) and answer \`{ items, page, pageSize, total, totalPages }\`.`
}
