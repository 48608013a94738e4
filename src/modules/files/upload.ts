import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Multipart, MultipartFile } from '@fastify/multipart'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError, invalidRequest, type FieldError } from '../../lib/problem.js'
import { uploadedFilename } from './filename.js'
import type { FileStorage } from './storage.js'

const pdfMagic = Buffer.from('%PDF-', 'latin1')

/**
 * Counts and hashes the bytes that pass, and lets them through only when they start with `%PDF-`.
 * A non-PDF is still read to its end (nothing is written) so the client gets a clean 415 answer
 * rather than a reset connection.
 */
class PdfInspector extends Transform {
  readonly hash = createHash('sha256')
  size = 0
  verdict: 'pending' | 'pdf' | 'not-pdf' = 'pending'
  private head: Buffer[] = []
  private headLength = 0

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length
    if (this.verdict === 'not-pdf') return callback()
    if (this.verdict === 'pdf') {
      this.hash.update(chunk)
      return callback(null, chunk)
    }
    this.head.push(chunk)
    this.headLength += chunk.length
    if (this.headLength < pdfMagic.length) return callback()
    const head = Buffer.concat(this.head)
    this.head = []
    if (!head.subarray(0, pdfMagic.length).equals(pdfMagic)) {
      this.verdict = 'not-pdf'
      return callback()
    }
    this.verdict = 'pdf'
    this.hash.update(head)
    callback(null, head)
  }

  override _flush (callback: TransformCallback): void {
    // Fewer than five bytes in all (an empty file too): not a PDF.
    if (this.verdict === 'pending') this.verdict = 'not-pdf'
    callback()
  }
}

/** An upload streamed to temporary storage, checked and measured; not yet committed. */
export interface ReceivedUpload {
  tempKey: string
  filename: string
  size: number
  sha256: string
  /** The `bookId` field: absent, or a positive integer. */
  bookId: number | undefined
}

export interface UploadLimits {
  maxBytes: number
  /** Whether the form may carry a `bookId` field besides `file`. */
  acceptsBookId: boolean
}

/** The limits the multipart parser enforces on every upload (see @fastify/busboy). */
export function multipartLimits (maxBytes: number) {
  return {
    fileSize: maxBytes,
    files: 1,
    fields: 2,
    fieldNameSize: 50,
    fieldSize: 100,
    parts: 3,
    headerPairs: 20
  }
}

interface StoredPart {
  tempKey: string
  filename: string
  size: number
  sha256: string
  isPdf: boolean
  truncated: boolean
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Busboy reads part headers as latin1, but browsers send `filename="…"` as raw UTF-8: re-read it as
 * UTF-8 when its bytes are valid UTF-8 (names from `filename*=UTF-8''…` are already decoded).
 */
export function decodeHeaderFilename (name: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0080-\u00ff]/.test(name) || /[^\u0000-\u00ff]/.test(name)) return name
  try {
    return strictUtf8.decode(Buffer.from(name, 'latin1'))
  } catch {
    return name
  }
}

async function storePart (part: MultipartFile, storage: FileStorage, maxBytes: number): Promise<StoredPart> {
  const target = await storage.createWriteTarget()
  const inspector = new PdfInspector()
  try {
    await pipeline(part.file, inspector, target.stream)
  } catch (error) {
    await storage.discard(target.tempKey)
    // The request's fault (cut short, malformed) is the client's problem; a storage failure is ours (500).
    throw part.file.errored === null ? error : multipartProblem(error, maxBytes)
  }
  return {
    tempKey: target.tempKey,
    filename: uploadedFilename(decodeHeaderFilename(part.filename)),
    size: inspector.size,
    sha256: inspector.hash.digest('hex'),
    isPdf: inspector.verdict === 'pdf',
    truncated: part.file.truncated
  }
}

async function drain (part: MultipartFile, maxBytes: number): Promise<void> {
  part.file.resume()
  try {
    await new Promise<void>((resolve, reject) => {
      part.file.once('end', resolve).once('error', reject)
    })
  } catch (error) {
    throw multipartProblem(error, maxBytes)
  }
}

/** @fastify/multipart's errors (by their code) as the contract's problems. */
function multipartProblem (error: unknown, maxBytes: number): unknown {
  if (error instanceof ApiError) return error
  const { code, statusCode } = error as { code?: string, statusCode?: number }
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`)
    case 'FST_FILES_LIMIT':
      return new ApiError('PAYLOAD_TOO_LARGE', 'Send one file per request')
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError('PAYLOAD_TOO_LARGE', 'The form has too many fields')
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data')
    case 'FST_MP_PREMATURE_CLOSE':
      return new ApiError('VALIDATION_FAILED', 'The upload ended before the multipart body was complete')
    default:
      // Busboy's own complaints (no boundary, malformed part headers) carry no status.
      return statusCode === undefined || statusCode < 500
        ? new ApiError('VALIDATION_FAILED', 'The multipart body is malformed')
        : error
  }
}

const idPattern = /^[1-9][0-9]{0,15}$/

/** More than a form of one file and two small fields could add to the file's bytes (busboy allows 80 KiB of headers a part). */
const formOverheadBytes = 512 * 1024

/**
 * Reads a multipart upload: the `file` part is streamed to a temporary object in storage (hashed
 * and measured on the way, never buffered), an optional `bookId` field may come before or after
 * it. Every part is read to the end, so refusals answer cleanly. Throws the contract's problem —
 * 400 for a malformed form, 413 over the limit, 415 for anything that is not a PDF — and then
 * nothing is left in storage.
 */
export async function receiveUpload (
  request: FastifyRequest,
  reply: FastifyReply,
  storage: FileStorage,
  { maxBytes, acceptsBookId }: UploadLimits
): Promise<ReceivedUpload> {
  // A declared length far beyond the file limit plus the form's own overhead (boundaries, part
  // headers, two small fields) cannot succeed: refuse before reading any of it.
  const declaredLength = Number(request.headers['content-length'])
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + formOverheadBytes) {
    reply.header('connection', 'close')
    throw new ApiError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`)
  }
  let stored: StoredPart | undefined
  let bookId: number | undefined
  const problems: FieldError[] = []
  try {
    const parts = request.parts()
    for (;;) {
      let next: IteratorResult<Multipart>
      try {
        next = await parts.next()
      } catch (error) {
        throw multipartProblem(error, maxBytes)
      }
      if (next.done === true) break
      const part = next.value
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          problems.push({ path: `/body/${part.fieldname}`, message: 'is not a known property' })
          await drain(part, maxBytes)
        } else {
          stored = await storePart(part, storage, maxBytes)
        }
      } else if (part.fieldname === 'bookId' && acceptsBookId) {
        const value = typeof part.value === 'string' ? part.value.trim() : ''
        if (part.valueTruncated || !idPattern.test(value) || !Number.isSafeInteger(Number(value))) {
          problems.push({ path: '/body/bookId', message: 'must be a positive integer' })
        } else {
          bookId = Number(value)
        }
      } else if (part.fieldname === 'file') {
        problems.push({ path: '/body/file', message: 'must be a file part (with a filename)' })
      } else {
        problems.push({ path: `/body/${part.fieldname}`, message: 'is not a known property' })
      }
    }
  } catch (error) {
    if (stored !== undefined) await storage.discard(stored.tempKey)
    // The body was not read to its end: close the connection after answering, rather than leave
    // the rest of the upload to be parsed as the next request.
    if (!request.raw.complete) reply.header('connection', 'close')
    throw error
  }

  if (stored === undefined && problems.length === 0) problems.push({ path: '/body/file', message: 'is required' })
  if (stored === undefined || problems.length > 0) {
    if (stored !== undefined) await storage.discard(stored.tempKey)
    throw invalidRequest(problems)
  }
  if (stored.truncated) {
    await storage.discard(stored.tempKey)
    throw new ApiError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`)
  }
  if (!stored.isPdf) {
    await storage.discard(stored.tempKey)
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Only PDF files are accepted (the content must start with %PDF-)')
  }
  return { tempKey: stored.tempKey, filename: stored.filename, size: stored.size, sha256: stored.sha256, bookId }
}
