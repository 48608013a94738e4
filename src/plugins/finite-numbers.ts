import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { invalidRequest, type FieldError } from '../lib/problem.js'

/** Paths of the numbers in `value` that are not finite, e.g. `/querystring/page`. */
function nonFinitePaths (value: unknown, path: string, found: FieldError[], depth = 0): FieldError[] {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    found.push({ path, message: 'must be a finite number' })
  } else if (value !== null && typeof value === 'object' && depth < 64) {
    for (const [key, item] of Object.entries(value)) nonFinitePaths(item, `${path}/${key}`, found, depth + 1)
  }
  return found
}

/**
 * Ajv's type coercion turns the strings "Infinity" and "1e309" into ±Infinity and then skips the
 * bounds of the property, so an integer parameter could reach the database as Infinity. After
 * validation, any non-finite number in params or query is refused like any invalid value. Bodies are
 * never coerced (see lib/validators.ts), and Ajv refuses a JSON number too large for a double.
 */
export default fp(async function finiteNumbersPlugin (app) {
  app.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    const errors = [
      ...nonFinitePaths(request.params, '/params', []),
      ...nonFinitePaths(request.query, '/querystring', [])
    ]
    done(errors.length === 0
      ? undefined
      : invalidRequest(errors))
  })
}, { name: 'finite-numbers' })
