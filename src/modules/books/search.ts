import { sql, type SQL } from 'drizzle-orm'
import { books } from '../../db/schema/index.js'

/** InnoDB's innodb_ft_min_token_size (default 3, read-only at run time): shorter words are not in the index. */
const indexedWordLength = 3

/**
 * The words of a search text: runs of letters, digits and underscores, the characters InnoDB's
 * full-text parser counts as a word. Everything else — the boolean operators `+ - < > ( ) ~ * @ "`
 * included — only separates words, so no text can change the meaning of the query.
 */
export function searchWords (text: string): string[] {
  return text.normalize('NFC').match(/[\p{L}\p{N}_]+/gu) ?? []
}

/** The full-text match of `terms` over title and author name (a score, > 0 for a match). */
export const searchScore = (terms: string): SQL<number> =>
  sql<number>`match(${books.title}, ${books.authorName}) against(${terms} in boolean mode)`

/**
 * The conditions for books whose title or author name has, for each word, a word starting with it:
 * each word of three characters or more is a required prefix term (`+tolk* +hobb*`) of one MATCH in
 * boolean mode, served by the full-text index. Shorter words are not in the index: beside a longer
 * word they narrow its matches (a word-start REGEXP on those rows only); alone, they are prefix terms
 * too, which find the longer words they start ("it" finds "Italy", not "It").
 * `undefined` when the text has no word at all (the search is then no filter, as an empty `q`).
 */
export function searchCondition (text: string): { score: SQL<number>, conditions: SQL[] } | undefined {
  const words = searchWords(text)
  if (words.length === 0) return undefined
  const indexed = words.filter((word) => [...word].length >= indexedWordLength)
  const terms = (indexed.length > 0 ? indexed : words).map((word) => `+${word}*`).join(' ')
  const score = searchScore(terms)
  const narrowing = indexed.length > 0 ? words.filter((word) => !indexed.includes(word)) : []
  return {
    score,
    conditions: [
      score,
      ...narrowing.map((word) => sql`concat_ws(' ', ${books.title}, ${books.authorName}) regexp ${`(^|[^\\p{L}\\p{N}_])${word}`}`)
    ]
  }
}
