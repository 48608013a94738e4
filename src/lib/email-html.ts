/** The HTML every email shares, so each feature's templates look alike. */

export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** A titled email body of paragraphs (already HTML: escape what comes from users). */
export function emailLayout (title: string, paragraphs: string[]): string {
  return '<!doctype html><html lang="en"><body style="font-family:sans-serif;line-height:1.5">' +
    `<h1 style="font-size:1.25em">${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</body></html>`
}
