import { Type, type SchemaOptions } from '@sinclair/typebox'

/**
 * A string limited to a set of values, written as JSON Schema `enum` (TypeBox's `Union` of literals
 * becomes an `anyOf` that gives clients one error per alternative and reads poorly in OpenAPI).
 */
export function StringEnum<const Values extends readonly string[]> (values: Values, options: SchemaOptions = {}) {
  return Type.Unsafe<Values[number]>({ ...options, type: 'string', enum: [...values] })
}
