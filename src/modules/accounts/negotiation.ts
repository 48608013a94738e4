import type { FastifyRequest } from 'fastify'

/** The `q` a media type gets in an Accept header (0 when absent). */
export function acceptQuality (accept: string, type: string): number {
  for (const part of accept.split(',')) {
    const [media, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
    if (media !== type) continue
    const q = params.find((param) => param.startsWith('q='))
    return q === undefined ? 1 : Number(q.slice(2)) || 0
  }
  return 0
}

/** A browser following an emailed link asks for HTML; API clients get JSON. */
export function wantsHtml (request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''
  const html = acceptQuality(accept, 'text/html')
  return html > 0 && html >= acceptQuality(accept, 'application/json')
}
