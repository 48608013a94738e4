/**
 * ISBN parsing. Clients may send an ISBN-10 or an ISBN-13, with hyphens or spaces between the digits;
 * the catalogue stores and shows the ISBN-13 digits only.
 */

/** What the request schema lets through before the checksum is looked at. */
export const isbnInputPattern = '^[0-9Xx -]{10,17}$'

export function isbn13CheckDigit (first12: string): number {
  let sum = 0
  for (let index = 0; index < 12; index++) sum += Number(first12[index]) * (index % 2 === 0 ? 1 : 3)
  return (10 - (sum % 10)) % 10
}

/** The ISBN-13 whose first twelve digits are `first12` (its check digit appended). */
export const completeIsbn13 = (first12: string): string => `${first12}${isbn13CheckDigit(first12)}`

function isValidIsbn10 (isbn: string): boolean {
  if (!/^[0-9]{9}[0-9X]$/.test(isbn)) return false
  let sum = 0
  for (let index = 0; index < 10; index++) {
    const character = isbn[index]
    const value = character === 'X' ? 10 : Number(character)
    sum += value * (10 - index)
  }
  return sum % 11 === 0
}

function isValidIsbn13 (isbn: string): boolean {
  return /^97[89][0-9]{10}$/.test(isbn) && isbn13CheckDigit(isbn.slice(0, 12)) === Number(isbn[12])
}

/**
 * The ISBN-13 digits of `input`, or `undefined` when it is not a valid ISBN-10 or ISBN-13 (wrong
 * length, stray characters, misplaced separators or a bad check digit).
 */
export function normalizeIsbn (input: string): string | undefined {
  const trimmed = input.trim()
  // Separators only between characters, one at a time: "978-0-306-40615-7", "0 306 40615 2".
  if (!/^[0-9Xx]+(?:[- ][0-9Xx]+)*$/.test(trimmed)) return undefined
  const compact = trimmed.replace(/[- ]/g, '').toUpperCase()
  if (compact.length === 13) return isValidIsbn13(compact) ? compact : undefined
  if (compact.length === 10 && isValidIsbn10(compact)) {
    return completeIsbn13(`978${compact.slice(0, 9)}`)
  }
  return undefined
}
