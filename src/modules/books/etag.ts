import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm'
import type { Executor } from '../../db/query-helpers.js'
import { authors, books } from '../../db/schema/index.js'
import { entityTags } from '../../lib/conditional.js'

/** What a book's representation changes with: its row's version and its author's `updated_at`. */
export interface BookStamp {
  version: number
  authorUpdatedAt: Date
}

/**
 * A strong ETag from the row as it is read (no second query, no hash of the body): the book's version,
 * which a trigger bumps on every write of the row, and its author's last change (a rename reaches the
 * book only through a cascading foreign key, which fires no trigger).
 */
export const bookEtag = ({ version, authorUpdatedAt }: BookStamp) => `"${version}.${authorUpdatedAt.getTime().toString(36)}"`

function parseBookEtag (tag: string): BookStamp | undefined {
  const match = /^"([0-9]+)\.([0-9a-z]+)"$/.exec(tag)
  if (match?.[1] === undefined || match[2] === undefined) return undefined
  return { version: Number(match[1]), authorUpdatedAt: new Date(Number.parseInt(match[2], 36)) }
}

/**
 * `If-Match` (RFC 9110 §13.1.1) as a WHERE condition on `books`, so the write and the check are one
 * statement: absent or `*` (any current book) → no condition; otherwise the row must still be one of the
 * versions named. Weak or foreign tags never match (strong comparison), so they answer 412.
 */
export function ifMatchCondition (db: Executor, header: string | undefined): SQL | undefined {
  if (header === undefined || header.trim() === '*') return undefined
  const stamps = entityTags(header).map(parseBookEtag).filter((stamp) => stamp !== undefined)
  if (stamps.length === 0) return sql`false`
  return or(...stamps.map(({ version, authorUpdatedAt }) => and(
    eq(books.version, version),
    inArray(books.authorId, db.select({ id: authors.id }).from(authors).where(eq(authors.updatedAt, authorUpdatedAt)))
  )))
}
