import type { FastifyRequest } from 'fastify'
import type { LoggerOptions } from 'pino'
import type { Config } from '../config.js'

/** Tokens ride in a few URLs (email links); the log keeps the route, not the secret. */
export function redactUrl (url: string): string {
  return url
    .replace(/(\/verify-email\/)(?!resend\b)[^/?#]+/i, '$1[REDACTED]')
    .replace(/([?&](?:token|code|refresh|access)=)[^&#]*/gi, '$1[REDACTED]')
}

const secretFields = ['password', 'currentPassword', 'newPassword', 'token', 'refresh', 'access']

/** pino options: JSON lines with the request id, and no credentials ever written. */
export function loggerOptions (level: Config['LOG_LEVEL']): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        ...secretFields.flatMap((field) => [field, `*.${field}`]),
        // The emailed code only where a body carries it: `err.code` (ER_DUP_ENTRY, ECONNRESET…) is what a 500's log line needs.
        'code', 'body.code', 'req.body.code', 'input.code'
      ],
      censor: '[REDACTED]'
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        remoteAddress: request.ip
      })
    }
  }
}
