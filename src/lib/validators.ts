import { AjvCompiler } from '@fastify/ajv-compiler'
import type { FastifyServerOptions } from 'fastify'

// Unknown properties are refused (400), never silently dropped: see `additionalProperties: false`.
const ajvOptions = { removeAdditional: false, allErrors: true, useDefaults: true } as const

/**
 * Two Ajv instances behind one validator compiler. The URL's parts are text, so params and query
 * strings are coerced to their declared types (`?page=2`, `?genre=a&genre=b`). JSON bodies already
 * carry types, and a client that sends `"rating": "4"` or `"title": 12345` has sent the wrong thing:
 * bodies are validated as they are, never coerced.
 */
export const schemaController: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: (externalSchemas) => {
      const buildFromPool = AjvCompiler()
      const coercing = buildFromPool(externalSchemas, { customOptions: { ...ajvOptions, coerceTypes: 'array' } })
      const strict = buildFromPool(externalSchemas, { customOptions: { ...ajvOptions, coerceTypes: false } })
      return (route) => route.httpPart === 'body' ? strict(route) : coercing(route)
    }
  }
}
