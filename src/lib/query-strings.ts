import { parse } from 'fast-querystring'

/**
 * Fastify's own query-string parser, with empty values dropped: `?q=&genre=&page=` is the same request
 * as `?` (a frontend sends every field of its filter form, filled or not), as django-filter and most
 * APIs read it. A value that is present is still validated against the route's schema.
 */
export function parseQueryString (query: string): Record<string, string | string[]> {
  const parsed: Record<string, unknown> = parse(query)
  // No prototype, like fast-querystring's own result: `?__proto__=a&__proto__=b` stays a plain key.
  const kept: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
  for (const [key, value] of Object.entries(parsed)) {
    const values = (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string' && item !== '')
    if (values.length > 0) kept[key] = Array.isArray(value) ? values : values[0] as string
  }
  return kept
}
