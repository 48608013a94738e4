import { Type } from '@sinclair/typebox'
import { buildProblem, problemCatalogue, type ProblemCode } from '../lib/problem.js'
import { ProblemSchema } from './common.js'

/**
 * The codes an operation may answer, by status: `{ 404: ['NOT_FOUND'], 409: ['ISBN_TAKEN'] }`. A route
 * states its own in `config.errors`; the docs and route-policy plugins add those every route of its kind
 * shares (validation, authentication, rate limits, failures).
 */
export type ErrorCodes = { readonly [status: number]: readonly ProblemCode[] | undefined }

/** What a route schema carries once its codes are declared (the `x-` key passes into the document). */
export interface ProblemDocumented {
  response?: unknown
  'x-error-codes'?: Record<string, ProblemCode[]>
}

/** `409` → "`ISBN_TAKEN`: An active book already has this ISBN." for each code, from the catalogue. */
export function describeCodes (codes: readonly ProblemCode[]): string {
  return codes.map((code) => `\`${code}\`: ${problemCatalogue[code].meaning}.`).join(' ')
}

function mergeCodes (into: Record<string, ProblemCode[]>, errors: ErrorCodes): Record<string, ProblemCode[]> {
  const merged = { ...into }
  for (const [status, codes = []] of Object.entries(errors)) {
    merged[status] = [...new Set([...(merged[status] ?? []), ...codes])]
  }
  return merged
}

/**
 * Adds the problem responses for these codes to a route schema (each status's description names its
 * codes) and records them under `x-error-codes`, from which the document derives one example per code
 * (openapi-document.ts). Declaring again merges, so several plugins can each add what they know.
 */
export function declareProblems (schema: ProblemDocumented, errors: ErrorCodes): void {
  const codes = mergeCodes(schema['x-error-codes'] ?? {}, errors)
  const response = (schema.response ?? {}) as Record<string, { headers?: unknown } | undefined>
  // A route may state a problem response's headers (a 416's Content-Range); they are kept.
  const problems = Object.fromEntries(Object.entries(codes).map(([status, statusCodes]) => {
    const headers = response[status]?.headers
    return [status, Type.Ref(ProblemSchema, { description: describeCodes(statusCodes), ...(headers === undefined ? {} : { headers }) })]
  }))
  schema['x-error-codes'] = codes
  schema.response = { ...(schema.response as object | undefined), ...problems }
}

/** One example problem per code, as the API sends it at that status. */
export function problemExamples (status: number, codes: readonly ProblemCode[]) {
  return Object.fromEntries(codes.map((code) => [code, {
    summary: problemCatalogue[code].meaning,
    value: buildProblem(code, `${problemCatalogue[code].meaning}.`, {
      status,
      ...(code === 'VALIDATION_FAILED' ? { errors: [{ path: '/body/email', message: 'must match format "email"' }] } : {})
    })
  }]))
}
