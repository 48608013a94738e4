/**
 * JSON with every object's keys sorted, at any depth: two bodies that differ only in key order (or
 * whitespace) give the same text, so they fingerprint alike. Arrays keep their order.
 */
export function canonicalJson (value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  }) ?? 'null'
}
