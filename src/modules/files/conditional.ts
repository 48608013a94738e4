import type { ByteRange } from './storage.js'

/** A strong validator from the content hash: the same bytes always get the same ETag. */
export const etagOf = (sha256: string) => `"${sha256}"`

export { noneMatchSatisfied } from '../../lib/conditional.js'

/**
 * `If-Range` (RFC 9110 §13.1.5) with an entity tag: the range applies only when the tag is our
 * current strong tag. A date (we send no Last-Modified) never matches, so the whole file is sent.
 */
export function ifRangeAllows (header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag
}

export type RangeRequest =
  | { kind: 'whole' }
  | { kind: 'partial', range: ByteRange }
  | { kind: 'unsatisfiable' }

const rangeSpec = /^(\d*)-(\d*)$/

/**
 * The one byte range of a `Range` header over `size` bytes (RFC 9110 §14.2). No header, another
 * unit, or several ranges → the whole file (a server may ignore Range). A malformed or
 * unsatisfiable byte range → `unsatisfiable` (416 with `Content-Range: bytes *\/size`).
 */
export function parseRange (header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' }
  const match = /^\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(header)
  if (match === null) return { kind: 'unsatisfiable' }
  const [, unit = '', specs = ''] = match
  if (unit.toLowerCase() !== 'bytes') return { kind: 'whole' }
  const parts = specs.split(',').map((part) => part.trim())
  if (parts.length > 1) return parts.every((part) => rangeSpec.test(part)) ? { kind: 'whole' } : { kind: 'unsatisfiable' }
  const spec = rangeSpec.exec(parts[0] ?? '')
  if (spec === null) return { kind: 'unsatisfiable' }
  const [, first = '', last = ''] = spec
  if (first === '' && last === '') return { kind: 'unsatisfiable' }
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last)
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (!Number.isSafeInteger(start) || start >= size || (last !== '' && Number(last) < start)) return { kind: 'unsatisfiable' }
  return { kind: 'partial', range: { start, end } }
}
