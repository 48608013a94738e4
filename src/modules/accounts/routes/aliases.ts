/** The route itself, then its deprecated compatibility aliases (same handler). */
export function withAliases (url: string, ...aliases: string[]) {
  return [
    { url, deprecation: {} },
    ...aliases.map((alias) => ({ url: alias, deprecation: { deprecated: true, description: `Deprecated alias of \`/api${url}\`, kept for older clients.` } }))
  ]
}

/** The body of a 202: what happens next. */
export const accepted = (message: string) => ({ message })
