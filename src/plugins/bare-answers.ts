import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import { ApiError } from '../lib/problem.js'

/**
 * Node's HTTP server answers two kinds of request itself, with a bare status line (no problem+json, no
 * security headers): an HTTP/1.1 request without `Host` (400) and an `Expect` other than `100-continue`
 * (417). `requireHostHeader: false` (an `http.createServer` option, given in app.ts) and a
 * `checkExpectation` listener hand both to Fastify, where this plugin refuses them like any other error.
 */
export const bareAnswersHttpOptions = { requireHostHeader: false }

/**
 * Both answers close the connection: the body, if the client sends one anyway, is never read, and
 * RFC 9110 §10.1.1 asks a server answering early to say whether it goes on reading.
 */
const closing = { headers: { connection: 'close' } }

export default fp(async function bareAnswersPlugin (app) {
  // Node emits `checkExpectation` only for an `Expect` it cannot meet; with a listener it no longer
  // answers 417 itself, so the request goes through the routing (and every hook) instead.
  const unmetExpectations = new WeakSet<IncomingMessage>()
  app.server.on('checkExpectation', (request, response) => {
    unmetExpectations.add(request)
    app.routing(request, response)
  })

  // After the security plugin's hook, so the refusals carry the same headers as every other answer.
  app.addHook('onRequest', (request, _reply, done) => {
    if (unmetExpectations.has(request.raw)) {
      done(new ApiError('EXPECTATION_FAILED', 'Only the expectation 100-continue is supported', closing))
    } else if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (HTTP/1.0 may leave it out).
      done(new ApiError('VALIDATION_FAILED', 'The request has no Host header', closing))
    } else {
      done()
    }
  })
}, { name: 'bare-answers', dependencies: ['errors', 'security'] })
