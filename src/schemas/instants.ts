import { Type } from '@sinclair/typebox'
import { invalidRequest } from '../lib/problem.js'

const instantPattern = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+\- ]\d{2}:?\d{2})?)?$/

/**
 * A `from`/`to` query value: a date (`YYYY-MM-DD`, midnight UTC) or an ISO 8601 date-time. A date-time
 * without an offset is read as UTC. The calendar is checked when parsed (`2023-02-29` is refused).
 */
export const InstantQuery = (meaning: string) => Type.String({
  maxLength: 40,
  pattern: instantPattern.source,
  description: `${meaning}: a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 date-time (UTC unless it carries an offset)`,
  examples: ['2025-01-31', '2025-01-31T12:00:00Z']
})

/** Parses an `InstantQuery` value; `undefined` when it is not a real instant (e.g. February 30th). */
export function parseInstant (value: string): Date | undefined {
  const match = instantPattern.exec(value)
  if (match === null) return undefined
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', offset = 'Z'] = match
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number]
  const [y, mo, d, h, mi, s] = parts
  // Not Date.UTC: it reads the years 0–99 as 1900–1999.
  const check = new Date(0)
  check.setUTCFullYear(y, mo - 1, d)
  check.setUTCHours(h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)))
  const utc = check.getTime()
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d ||
    check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== s) {
    return undefined
  }
  let offsetMinutes = 0
  if (offset !== 'Z') {
    // A `+` in an unencoded query string arrives as a space.
    const sign = offset.startsWith('-') ? -1 : 1
    const digits = offset.slice(1).replace(':', '')
    const offsetHours = Number(digits.slice(0, 2))
    const offsetMins = Number(digits.slice(2))
    if (offsetHours > 23 || offsetMins > 59) return undefined
    offsetMinutes = sign * (offsetHours * 60 + offsetMins)
  }
  return new Date(utc - offsetMinutes * 60_000)
}

export interface Window {
  from: Date | undefined
  to: Date | undefined
}

/** The `from` (inclusive) / `to` (exclusive) pair of a query; a bad value or `from` after `to` → 400. */
export function parseWindow (query: { from?: string | undefined, to?: string | undefined }): Window {
  const from = query.from === undefined ? undefined : parseInstant(query.from)
  const to = query.to === undefined ? undefined : parseInstant(query.to)
  const errors = [
    ...(query.from !== undefined && from === undefined ? [{ path: '/querystring/from', message: 'is not a valid date or date-time' }] : []),
    ...(query.to !== undefined && to === undefined ? [{ path: '/querystring/to', message: 'is not a valid date or date-time' }] : [])
  ]
  if (errors.length === 0 && from !== undefined && to !== undefined && from > to) {
    errors.push({ path: '/querystring/from', message: 'must not be after to' })
  }
  if (errors.length > 0) {
    throw invalidRequest(errors)
  }
  return { from, to }
}
