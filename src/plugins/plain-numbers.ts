import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { invalidRequest, type FieldError } from '../lib/problem.js'

/** `5`, `0`, `-3`; not `05`, `+5`, ` 5`, `5.0`, `0x5`, `1e3` or `Infinity`, all of which `Number()` reads. */
const plainDecimal = /^(0|-?[1-9][0-9]*)$/

interface PartSchema {
  properties?: Record<string, { type?: unknown, items?: { type?: unknown } }>
}

const integersBySchema = new WeakMap<object, string[]>()

/** The properties of a params or query schema that are integers (or lists of integers). */
function integerProperties (schema: unknown): string[] {
  if (schema === null || typeof schema !== 'object') return []
  let names = integersBySchema.get(schema)
  if (names === undefined) {
    names = Object.entries((schema as PartSchema).properties ?? {})
      .filter(([, property]) => property.type === 'integer' || (property.type === 'array' && property.items?.type === 'integer'))
      .map(([name]) => name)
    integersBySchema.set(schema, names)
  }
  return names
}

function nonDecimalPaths (values: unknown, schema: unknown, part: string): FieldError[] {
  if (values === null || typeof values !== 'object') return []
  const found: FieldError[] = []
  for (const name of integerProperties(schema)) {
    const raw: unknown = (values as Record<string, unknown>)[name]
    if ((Array.isArray(raw) ? raw : [raw]).some((text) => typeof text === 'string' && !plainDecimal.test(text))) {
      found.push({ path: `/${part}/${name}`, message: 'must be a plain decimal integer' })
    }
  }
  return found
}

/**
 * Ajv coerces a URL's text with `Number()`, which reads hex, a sign, blanks, fractions and exponents:
 * `/api/books/0x10` would be book 16 and `?page=1e309` Infinity. Before validation, every integer in
 * the params and the query must be written plain decimal; anything else is a 400 like any invalid value.
 */
export default fp(async function plainNumbersPlugin (app) {
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    const schema = request.routeOptions.schema
    const errors = schema === undefined
      ? []
      : [...nonDecimalPaths(request.params, schema.params, 'params'), ...nonDecimalPaths(request.query, schema.querystring, 'querystring')]
    done(errors.length === 0 ? undefined : invalidRequest(errors))
  })
}, { name: 'plain-numbers' })
