import { Type, type Static } from '@sinclair/typebox'
import type { StoredFile } from '../../db/schema/index.js'
import { StringEnum } from '../../lib/string-enum.js'
import { Id, Timestamp } from '../../schemas/common.js'
import { maxFilenameLength } from './filename.js'
import { example } from '../../schemas/examples.js'

export const FileSchema = Type.Object({
  id: Id,
  filename: Type.String({ minLength: 1, maxLength: maxFilenameLength, pattern: '^[^\\x00-\\x1f\\x7f/\\\\]+$', description: 'The client’s base name, without path parts or control characters' }),
  contentType: StringEnum(['application/pdf'], { description: 'Only PDFs are stored' }),
  size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64, description: 'SHA-256 of the content, lower-case hex; the download’s ETag is this in quotes' }),
  ownerId: Id,
  bookId: Type.Union([Id, Type.Null()], { description: 'The book the file belongs to, if any' }),
  createdAt: Timestamp,
  downloadUrl: Type.String({ maxLength: 100, pattern: '^/api/files/[0-9]+/download$', description: 'Where to GET the bytes, relative to the API’s origin: /api/files/{id}/download' })
}, { additionalProperties: false, title: 'File' })

export type FileView = Static<typeof FileSchema>

export const downloadUrlOf = (id: number) => `/api/files/${id}/download`

export function toFileView (row: StoredFile): FileView {
  return {
    id: row.id,
    filename: row.filename,
    contentType: 'application/pdf',
    size: row.size,
    sha256: row.sha256,
    ownerId: row.ownerId,
    bookId: row.bookId,
    createdAt: row.createdAt.toISOString(),
    downloadUrl: downloadUrlOf(row.id)
  }
}

/**
 * The multipart form of an upload, for the documentation only: the handler reads the parts as a
 * stream (`request.parts()`), so this schema is never used to validate (see `uploadValidatorCompiler`).
 */
export function UploadForm (maxBytes: number, { withBookId }: { withBookId: boolean }) {
  const file = Type.String({
    format: 'binary',
    contentMediaType: 'application/pdf',
    maxLength: maxBytes,
    description: `The PDF, at most ${maxBytes} bytes. Checked by its content (it must start with %PDF-), not by its name or declared type.`
  })
  return withBookId
    ? Type.Object({
      file,
      bookId: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Attach the file to this book (before or after `file`)' }))
    }, { additionalProperties: false })
    : Type.Object({ file }, { additionalProperties: false })
}

export const FilePatchBody = Type.Object({
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: maxFilenameLength, description: 'Cleaned like an uploaded name (path parts and control characters removed)' })),
  bookId: Type.Optional(Type.Union([Type.Null(), Id], { description: 'A book id, or null to detach the file from its book' }))
}, { additionalProperties: false, minProperties: 1, description: 'At least one field, as for every PATCH', examples: [{ filename: 'hobbit-notes.pdf', bookId: example.bookId }] })

const headerPattern = (pattern: string, maxLength: number, description: string) => ({ type: 'string', pattern, maxLength, description })
const headerValue = (value: string, description: string) => ({ type: 'string', enum: [value], description })

export const contentRangeHeader = (description: string) => headerPattern('^bytes ([0-9]+-[0-9]+|\\*)/[0-9]+$', 100, description)

const downloadHeaders = {
  'content-disposition': headerPattern('^attachment; filename="', 1200, 'attachment; filename="…"; filename*=UTF-8\'\'… (RFC 6266, RFC 8187)'),
  'content-length': { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes in this response' },
  etag: headerPattern('^"[0-9a-f]{64}"$', 66, '"<sha256>": a strong validator for If-None-Match and If-Range'),
  'accept-ranges': headerValue('bytes', 'Single byte ranges are served'),
  'x-content-type-options': headerValue('nosniff', 'Browsers must not guess another type'),
  'cache-control': headerValue('private, no-cache', 'Only the caller may cache it, revalidating with the ETag')
}

const PdfBytes = (maxBytes: number) => Type.String({ format: 'binary', maxLength: maxBytes })

/** 200 and 206 of a download: PDF bytes, streamed. */
export function downloadResponses (maxBytes: number) {
  return {
    200: {
      description: 'The whole file',
      headers: downloadHeaders,
      content: { 'application/pdf': { schema: PdfBytes(maxBytes) } }
    },
    206: {
      description: 'The byte range asked for with Range: bytes=first-last (one range; several are answered 200 with the whole file)',
      headers: { ...downloadHeaders, 'content-range': contentRangeHeader('bytes first-last/size') },
      content: { 'application/pdf': { schema: PdfBytes(maxBytes) } }
    },
    304: Type.Null({ description: 'Not Modified: the copy named by If-None-Match is current' })
  }
}
