/** Conditional requests (RFC 9110 §13), for any route that sends an `ETag`. */

/** The entity tags of an `If-None-Match` / `If-Match` list, as sent (`W/` prefixes kept). */
export function entityTags (header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"/g) ?? []
}

/**
 * `If-None-Match` (RFC 9110 §13.1.2): `*` or a list of entity tags, compared weakly (`W/"x"`
 * matches `"x"`). True when the client's copy is current, so the answer is 304.
 */
export function noneMatchSatisfied (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const trimmed = header.trim()
  if (trimmed === '*') return true
  return entityTags(trimmed).some((tag) => tag.replace(/^W\//, '') === etag)
}
