import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import contentDisposition from 'content-disposition'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredFile } from '../../db/schema/index.js'
import { ApiError } from '../../lib/problem.js'
import { IdParams } from '../../schemas/common.js'
import type { ErrorCodes } from '../../schemas/problems.js'
import { etagOf, ifRangeAllows, noneMatchSatisfied, parseRange } from './conditional.js'
import { fileOr404 } from './lookups.js'
import { contentRangeHeader, downloadResponses } from './schemas.js'
import { StoredObjectMissingError, type ByteRange } from './storage.js'

const singleHeader = (value: string | string[] | undefined) => Array.isArray(value) ? value[0] : value

/** The range the request asks for and may have (`If-Range` with a stale ETag: the whole file); 416 when it cannot be served. */
function wantedRange (request: FastifyRequest, file: StoredFile, etag: string): ByteRange | undefined {
  const wanted = ifRangeAllows(singleHeader(request.headers['if-range']), etag)
    ? parseRange(request.headers.range, file.size)
    : { kind: 'whole' as const }
  if (wanted.kind === 'unsatisfiable') {
    throw new ApiError('RANGE_NOT_SATISFIABLE', `The range is not valid for a file of ${file.size} bytes; ask for one range, bytes=first-last`, {
      headers: { 'content-range': `bytes */${file.size}` }
    })
  }
  return wanted.kind === 'partial' ? wanted.range : undefined
}

/** The PDF's headers: always an attachment, quoted, with an ASCII fallback beside the RFC 8187 `filename*` for non-ASCII names. */
function setContentHeaders (reply: FastifyReply, file: StoredFile, range: ByteRange | undefined): void {
  reply.headers({
    'content-type': 'application/pdf',
    'content-disposition': contentDisposition(file.filename, { type: 'attachment', fallback: file.filename.replace(/[^\x20-\x7e]/g, '?') })
  })
  if (range === undefined) {
    reply.code(200).header('content-length', file.size)
  } else {
    reply.code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      .header('content-length', range.end - range.start + 1)
  }
}

/** Ranged, conditional downloads of a file's bytes. */
export const downloadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const storage = app.fileStorage

  async function download (id: number, request: FastifyRequest, reply: FastifyReply) {
    // A replacement may remove the bytes between reading the row and opening them: read again once.
    for (let attempt = 1; ; attempt++) {
      const file = await fileOr404(app.db, id)
      const etag = etagOf(file.sha256)
      const common = { etag, 'accept-ranges': 'bytes', 'cache-control': 'private, no-cache', 'x-content-type-options': 'nosniff' }
      if (noneMatchSatisfied(request.headers['if-none-match'], etag)) {
        return await reply.code(304).headers(common).send()
      }
      const range = wantedRange(request, file, etag)
      // HEAD gets the headers only: an empty stream keeps Fastify's HEAD handling from reading the file
      // (for a stream it keeps our Content-Length; for no payload it would write 0).
      let body
      try {
        body = request.method === 'HEAD' ? Readable.from([]) : await storage.openRead(file.storageKey, range)
      } catch (error) {
        if (error instanceof StoredObjectMissingError && attempt === 1) continue
        throw error
      }
      reply.headers(common)
      setContentHeaders(reply, file, range)
      return await reply.send(body)
    }
  }

  const downloadErrors: ErrorCodes = { 404: ['NOT_FOUND'], 416: ['RANGE_NOT_SATISFIABLE'] }
  const downloadSchema = (summary: string) => ({
    summary,
    description: 'Streams the PDF as an attachment. `If-None-Match` with the ETag → 304; `Range: bytes=first-last` (one range) → 206; ' +
      'a malformed or unsatisfiable range → 416 with `Content-Range: bytes */size`; `If-Range` with the ETag is honoured.',
    tags: ['Files'],
    params: IdParams,
    response: {
      ...downloadResponses(app.config.MAX_UPLOAD_BYTES),
      // The 416's description and examples follow from config.errors; its header is stated here.
      416: { headers: { 'content-range': contentRangeHeader('bytes */size: the file’s length') } }
    }
  })

  app.get('/files/:id/download', { config: { auth: 'bearer', errors: downloadErrors }, schema: downloadSchema('Download a file') },
    async (request, reply) => await download(request.params.id, request, reply))
  app.get('/download/:id', { config: { auth: 'bearer', errors: downloadErrors }, schema: downloadSchema('Download a file (short path)') },
    async (request, reply) => await download(request.params.id, request, reply))
}
