export const maxFilenameLength = 255
export const fallbackFilename = 'file.pdf'

// Control characters (C0, DEL, C1), lone surrogates, and the invisible marks that reorder or hide
// text (bidi overrides and isolates, zero-width characters, line separators) that make `evil‮fdp.exe` look harmless.
const unsafeCharacters = /[\p{Cc}\p{Cs}\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2028\u2029\u2066-\u2069\ufeff]/gu

/** Cuts to `max` characters (code points, as MariaDB counts them), keeping a short extension. */
function truncate (name: string, max: number): string {
  const chars = Array.from(name)
  if (chars.length <= max) return name
  const dot = name.lastIndexOf('.')
  const extension = dot > 0 ? Array.from(name.slice(dot)) : []
  if (extension.length > 1 && extension.length <= 16) {
    return chars.slice(0, max - extension.length).join('') + extension.join('')
  }
  return chars.slice(0, max).join('')
}

/**
 * The name kept for a file: the client's base name (whatever follows the last `/` or `\`), without
 * control or invisible characters, trimmed, at most 255 characters. The name is only ever shown and
 * sent back in `Content-Disposition`; bytes are stored under random keys. `undefined` when nothing
 * usable is left.
 */
export function cleanFilename (raw: string): string | undefined {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? ''
  const cleaned = base.replace(unsafeCharacters, '').trim()
  if (cleaned === '' || /^\.+$/.test(cleaned)) return undefined
  return truncate(cleaned, maxFilenameLength)
}

/** `cleanFilename`, falling back to `file.pdf` for names with nothing usable left. */
export function uploadedFilename (raw: string | undefined): string {
  return cleanFilename(raw ?? '') ?? fallbackFilename
}
