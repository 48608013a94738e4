import { randomBytes } from 'node:crypto'

/** A PDF-looking buffer of exactly `size` bytes (at least the 9-byte header). */
export function pdfBytes (size = 1000): Buffer {
  const head = Buffer.from('%PDF-1.7\n', 'latin1')
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]).subarray(0, Math.max(size, 0))
}

export interface FilePart {
  name: string
  filename: string
  content: Buffer
  contentType?: string
  /** Raw `Content-Disposition` parameters instead of `filename="…"` (for encoded names). */
  dispositionParams?: string
}

export interface FieldPart {
  name: string
  value: string
}

export type Part = FilePart | FieldPart

/** A multipart/form-data body built by hand: exactly the bytes a browser would send. */
export function multipartBody (parts: Part[], boundary = `----bookstore${randomBytes(8).toString('hex')}`) {
  const chunks: Buffer[] = []
  for (const part of parts) {
    if ('content' in part) {
      const params = part.dispositionParams ?? `filename="${part.filename}"`
      chunks.push(Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; ${params}\r\n` +
        `Content-Type: ${part.contentType ?? 'application/pdf'}\r\n\r\n`, 'utf8'))
      chunks.push(part.content, Buffer.from('\r\n'))
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`, 'utf8'))
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}
