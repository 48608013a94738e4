import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Value } from '@sinclair/typebox/value'
import type { FastifySchemaCompiler } from 'fastify'

type RouteSchemaDef<RouteSchema> = Parameters<FastifySchemaCompiler<RouteSchema>>[0]
type ValidationResult = ReturnType<FastifySchemaCompiler<unknown>>

/**
 * The validator compiler of the upload routes. Their `body` schema documents the multipart form
 * (OpenAPI `multipart/form-data` with a binary `file`), but the body is a stream the handler reads
 * with `request.parts()`; there is nothing to validate before the handler, so `body` always passes.
 * Params and query are checked (with coercion, like the app's Ajv) by TypeBox's compiler, and
 * failures reported in the shape the error handler turns into `errors: [{ path, message }]`.
 */
export function uploadValidatorCompiler<RouteSchema> ({ schema: routePart, httpPart }: RouteSchemaDef<RouteSchema>): ValidationResult {
  if (httpPart === 'body') return () => true
  // Route parts are TypeBox schemas in this module.
  const schema = routePart as unknown as TSchema
  const checker = TypeCompiler.Compile(schema)
  return (value: unknown) => {
    const converted = Value.Convert(schema, Value.Default(schema, Value.Clone(value)))
    if (checker.Check(converted)) return { value: converted }
    return {
      error: [...checker.Errors(converted)].map((issue) => ({
        keyword: 'type',
        instancePath: issue.path,
        schemaPath: '#',
        params: {},
        message: issue.message
      }))
    }
  }
}
