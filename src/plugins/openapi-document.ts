import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import type { ProblemCode } from '../lib/problem.js'
import { problemExamples } from '../schemas/problems.js'

declare module 'fastify' {
  interface FastifySchema {
    /** Statuses the route may also answer with a page for a browser (`text/html`), and what each page says. */
    'x-html-pages'?: Record<number, string>
  }
}

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 }
const rateLimitHeaderNames = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const

export const documentHeaders: Record<string, OpenAPI.HeaderObject> = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the current window', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000000 } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000000 } },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400 } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400 } }
}

/**
 * Integers carry a `format` (int32 when their bounds fit, else int64) and both bounds, as API
 * linters and code generators expect; bounds the route schema leaves open are those of the format.
 */
function describeIntegers (node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(describeIntegers)
    return
  }
  if (node === null || typeof node !== 'object') return
  const schema = node as Record<string, unknown>
  if (schema.type === 'integer') {
    const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined
    const maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined
    const fitsInt32 = minimum !== undefined && maximum !== undefined && minimum >= int32.min && maximum <= int32.max
    schema.format ??= fitsInt32 ? 'int32' : 'int64'
    schema.minimum ??= schema.format === 'int32' ? int32.min : Number.MIN_SAFE_INTEGER
    schema.maximum ??= schema.format === 'int32' ? int32.max : Number.MAX_SAFE_INTEGER
  }
  Object.values(schema).forEach(describeIntegers)
}

/** Rate-limited operations document the x-ratelimit-* headers on every 2xx and 4xx response, and Retry-After on 429. */
function describeRateLimitHeaders (document: OpenAPI.Document, exemptPaths: readonly string[]) {
  document.components = { ...document.components, headers: { ...document.components?.headers, ...documentHeaders } }
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (exemptPaths.some((exempt) => path === exempt || path.startsWith(`${exempt}/`))) continue
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head'] as const) {
      const responses = item?.[method]?.responses ?? {}
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[24]/.test(status) || '$ref' in response) continue
        const names = status === '429' ? [...rateLimitHeaderNames, 'Retry-After'] : rateLimitHeaderNames
        response.headers = {
          ...response.headers,
          ...Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]))
        }
      }
    }
  }
}

/** A query parameter with a default is optional to the client, though validation always sees a value. */
function relaxDefaultedQueryParameters (document: OpenAPI.Document) {
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head'] as const) {
      for (const parameter of item?.[method]?.parameters ?? []) {
        if ('$ref' in parameter || parameter.in !== 'query') continue
        const schema = parameter.schema
        if (schema !== undefined && !('$ref' in schema) && schema.default !== undefined) parameter.required = false
      }
    }
  }
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head'] as const

/**
 * Every error is `application/problem+json`, as the API sends it, with one example per code the
 * operation names under `x-error-codes` (derived from the route's declarations: schemas/problems.ts).
 */
function describeProblems (document: OpenAPI.Document) {
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of methods) {
      const operation = item?.[method]
      if (operation === undefined) continue
      const codes = (operation as { 'x-error-codes'?: Record<string, ProblemCode[]> })['x-error-codes'] ?? {}
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400 || '$ref' in response) continue
        const media = response.content?.['application/json']
        response.content = { 'application/problem+json': { ...media, examples: problemExamples(Number(status), codes[status] ?? []) } }
      }
    }
  }
}

/**
 * @fastify/swagger marks every declared body required; a route whose body may be left out (logout)
 * says so with `x-body-optional`, so generated clients do not force one.
 */
function relaxOptionalBodies (document: OpenAPI.Document) {
  for (const item of Object.values(document.paths ?? {})) {
    for (const method of methods) {
      const operation = item?.[method] as (OpenAPI.OperationObject & { 'x-body-optional'?: boolean }) | undefined
      if (operation?.['x-body-optional'] !== true) continue
      delete operation['x-body-optional']
      if (operation.requestBody !== undefined && !('$ref' in operation.requestBody)) operation.requestBody.required = false
    }
  }
}

/**
 * A route that negotiates a page for browsers (the emailed verification link) names under `x-html-pages`
 * the statuses that may come as `text/html`; those responses list the page beside their JSON.
 */
function describePages (document: OpenAPI.Document) {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const operation = item?.[method] as (OpenAPI.OperationObject & { 'x-html-pages'?: Record<string, string> }) | undefined
      const pages = operation?.['x-html-pages']
      if (operation === undefined || pages === undefined) continue
      delete operation['x-html-pages']
      for (const [status, description] of Object.entries(pages)) {
        const response = operation.responses?.[status]
        // A page for a status the route does not declare would be a document that lies.
        if (response === undefined || '$ref' in response) throw new Error(`${method.toUpperCase()} ${path}: x-html-pages names ${status}, which has no response`)
        response.content = { ...response.content, 'text/html': { schema: { type: 'string', maxLength: 4096, description } } }
      }
    }
  }
}

/** The finishing touches on the document @fastify/swagger builds from the route schemas. */
export function finishDocument (document: OpenAPI.Document, rateLimitExemptPaths: readonly string[]): OpenAPI.Document {
  describeIntegers(document.paths)
  describeIntegers(document.components?.schemas)
  describeRateLimitHeaders(document, rateLimitExemptPaths)
  relaxDefaultedQueryParameters(document)
  describeProblems(document)
  describePages(document)
  relaxOptionalBodies(document)
  // The one server is the public API itself (inventory rules ask every server to say so).
  document.servers = document.servers?.map((server) => ({ ...server, 'x-internal': false }))
  return document
}
