import type { FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { invalidRequest } from '../lib/problem.js'

const methodsWithBodies = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Whether Fastify reads a body for this route's methods. */
export function takesBody (route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  return methods.some((method) => methodsWithBodies.has(method))
}

/** A route without a body schema takes no body: `{}` is harmless, anything else would be ignored data. */
function refuseBody (request: FastifyRequest, _reply: unknown, done: (error?: Error) => void) {
  const body: unknown = request.body
  if (body === undefined || body === null) {
    done()
  } else if (typeof body !== 'object' || Array.isArray(body)) {
    done(invalidRequest([{ path: '/body', message: 'must be empty: this request takes no body' }]))
  } else {
    const properties = Object.keys(body)
    done(properties.length === 0 ? undefined : invalidRequest(properties.map((key) => ({ path: `/body/${key}`, message: 'is not a known property' }))))
  }
}

/**
 * How request bodies are read, for every route:
 * - `Content-Type: application/json` with an empty body is no body (clients and proxies send the header on
 *   body-less POSTs such as logout), where Fastify would refuse it;
 * - `text/plain` is not a format of this API: 415 like any other, not a string a schema then refuses;
 * - a route that declares no body schema refuses properties it would otherwise silently ignore, as the
 *   contract refuses unknown properties everywhere.
 */
export default fp(async function requestBodiesPlugin (app) {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined)
    else parseJson(request, body.toString(), done)
  })

  app.addHook('onRoute', (route) => {
    if (!takesBody(route) || route.schema?.body !== undefined) return
    const existing = route.preValidation === undefined ? [] : [route.preValidation].flat()
    route.preValidation = [refuseBody, ...existing]
  })
}, { name: 'request-bodies' })
