import { Readable } from 'node:stream'
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import contentDisposition from 'content-disposition'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { StoredFile } from '../../db/schema/index.js'
import { ApiError, forbidden, invalidRequest, notFound } from '../../lib/problem.js'
import type { AuthContext } from '../../plugins/auth.js'
import { IdParams, NoContent, Page, PaginationQuery, ProblemSchema, pageOf, problemResponses } from '../../schemas/common.js'
import { etagOf, ifRangeAllows, noneMatchSatisfied, parseRange } from './conditional.js'
import { cleanFilename } from './filename.js'
import fileRemoval from './removal.js'
import { bookExists, deleteFile, findFile, insertFile, listFiles, replaceContent, updateFile } from './repository.js'
import { FilePatchBody, FileSchema, UploadForm, contentRangeHeader, downloadResponses, toFileView } from './schemas.js'
import fileStorage, { StoredObjectMissingError, newStorageKey } from './storage.js'
import { multipartLimits, receiveUpload } from './upload.js'
import { uploadValidatorCompiler } from './validation.js'

const canChange = (auth: AuthContext, file: StoredFile) => auth.role === 'admin' || file.ownerId === auth.userId

const tags = ['Files']

const singleHeader = (value: string | string[] | undefined) => Array.isArray(value) ? value[0] : value

/** Shared PDFs: multipart uploads streamed to storage, metadata in `files`, ranged downloads. */
const filesModule: FastifyPluginAsyncTypebox = async (app) => {
  const maxBytes = app.config.MAX_UPLOAD_BYTES
  await app.register(fileStorage)
  await app.register(fileRemoval)
  const { fileStorage: storage, fileRemover: remover } = app

  // Registered here, so only these routes parse multipart bodies, with limits of their own.
  await app.register(multipart, { limits: multipartLimits(maxBytes) })

  async function fileOr404 (id: number): Promise<StoredFile> {
    const file = await findFile(app.db, id)
    if (file === undefined) throw notFound('File')
    return file
  }

  async function checkBook (bookId: number | null | undefined): Promise<void> {
    if (bookId !== undefined && bookId !== null && !(await bookExists(app.db, bookId))) throw notFound('Book')
  }

  app.get('/files', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'List your files, newest first',
      description: 'The files the caller uploaded, paginated, newest first.',
      tags,
      querystring: PaginationQuery,
      response: { 200: Page(FileSchema) }
    }
  }, async (request) => {
    const { rows, total } = await listFiles(app.db, { ownerId: request.auth.userId }, request.query)
    return pageOf(rows.map(toFileView), total, request.query)
  })

  app.get('/all_files', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'List every shared file, newest first',
      description: 'Every file of every user (this is a sharing system), paginated, newest first.',
      tags,
      querystring: PaginationQuery,
      response: { 200: Page(FileSchema) }
    }
  }, async (request) => {
    const { rows, total } = await listFiles(app.db, {}, request.query)
    return pageOf(rows.map(toFileView), total, request.query)
  })

  app.post('/files', {
    config: { auth: 'verified' },
    validatorCompiler: uploadValidatorCompiler,
    schema: {
      summary: 'Upload a PDF',
      description: 'A multipart/form-data body with the PDF in the `file` part and, optionally, a `bookId` field (in either order). ' +
        `The content must start with %PDF- (415 otherwise, whatever its name or declared type); at most ${maxBytes} bytes (413). ` +
        'A refused or interrupted upload leaves nothing behind.',
      tags,
      consumes: ['multipart/form-data'],
      body: UploadForm(maxBytes, { withBookId: true }),
      response: {
        201: FileSchema,
        ...problemResponses(403, 404, 413, 415)
      }
    }
  }, async (request, reply) => {
    const upload = await receiveUpload(request, reply, storage, { maxBytes, acceptsBookId: true })
    const key = newStorageKey()
    let committed = false
    try {
      await checkBook(upload.bookId)
      await storage.commit(upload.tempKey, key)
      committed = true
      const id = await insertFile(app.db, {
        ownerId: request.auth.userId,
        bookId: upload.bookId ?? null,
        filename: upload.filename,
        size: upload.size,
        sha256: upload.sha256,
        storageKey: key
      })
      const file = await fileOr404(id)
      return await reply.code(201).header('location', `/api/files/${id}`).send(toFileView(file))
    } catch (error) {
      if (committed) await remover.remove(key)
      else await storage.discard(upload.tempKey)
      throw error
    }
  })

  app.get('/files/:id', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'A file’s metadata',
      description: 'Any authenticated user may read any file’s metadata.',
      tags,
      params: IdParams,
      response: { 200: FileSchema, ...problemResponses(404) }
    }
  }, async (request) => toFileView(await fileOr404(request.params.id)))

  app.put('/files/:id', {
    config: { auth: 'verified' },
    validatorCompiler: uploadValidatorCompiler,
    schema: {
      summary: 'Replace a file’s content (owner or admin)',
      description: 'A multipart/form-data body with the new PDF in the `file` part; the same checks as an upload. ' +
        'The filename becomes the new part’s; the book and the creation time stay. The old bytes are removed once the change is saved.',
      tags,
      consumes: ['multipart/form-data'],
      params: IdParams,
      body: UploadForm(maxBytes, { withBookId: false }),
      response: { 200: FileSchema, ...problemResponses(403, 404, 413, 415) }
    }
  }, async (request, reply) => {
    const existing = await fileOr404(request.params.id)
    if (!canChange(request.auth, existing)) throw forbidden('Only the owner or an admin may change this file')
    const upload = await receiveUpload(request, reply, storage, { maxBytes, acceptsBookId: false })
    const key = newStorageKey()
    let replaced: { previousKey: string } | undefined
    try {
      await storage.commit(upload.tempKey, key)
    } catch (error) {
      await storage.discard(upload.tempKey)
      throw error
    }
    try {
      replaced = await replaceContent(app.db, existing.id, { filename: upload.filename, size: upload.size, sha256: upload.sha256, storageKey: key })
      if (replaced === undefined) throw notFound('File')
    } catch (error) {
      await remover.remove(key)
      throw error
    }
    await remover.remove(replaced.previousKey)
    return toFileView(await fileOr404(existing.id))
  })

  app.patch('/files/:id', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Rename a file or attach it to a book (owner or admin)',
      description: 'A new `filename` is cleaned like an uploaded one (400 when nothing is left); `bookId: null` detaches the file; an unknown or deleted book is 404. Others get 403.',
      tags,
      params: IdParams,
      body: FilePatchBody,
      response: { 200: FileSchema, ...problemResponses(403, 404) }
    }
  }, async (request) => {
    const existing = await fileOr404(request.params.id)
    if (!canChange(request.auth, existing)) throw forbidden('Only the owner or an admin may change this file')
    const changes: { filename?: string, bookId?: number | null } = {}
    if (request.body.filename !== undefined) {
      const filename = cleanFilename(request.body.filename)
      if (filename === undefined) {
        throw invalidRequest([{ path: '/body/filename', message: 'has nothing left once path parts and control characters are removed' }])
      }
      changes.filename = filename
    }
    if (request.body.bookId !== undefined) {
      await checkBook(request.body.bookId)
      changes.bookId = request.body.bookId
    }
    await updateFile(app.db, existing.id, changes)
    return toFileView(await fileOr404(existing.id))
  })

  app.delete('/files/:id', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Delete a file and its bytes (owner or admin)',
      description: 'Removes the row and the stored bytes (should removing the bytes fail, it is logged and retried; the answer is still 204). Others get 403.',
      tags,
      params: IdParams,
      response: { 204: NoContent, ...problemResponses(403, 404) }
    }
  }, async (request, reply) => {
    const deleted = await deleteFile(app.db, request.params.id, (file) => {
      if (!canChange(request.auth, file)) throw forbidden('Only the owner or an admin may delete this file')
    })
    if (deleted === undefined) throw notFound('File')
    await remover.remove(deleted.storageKey)
    return await reply.code(204).send(null)
  })

  async function download (id: number, request: FastifyRequest, reply: FastifyReply) {
    // A replacement may remove the bytes between reading the row and opening them: read again once.
    for (let attempt = 1; ; attempt++) {
      const file = await fileOr404(id)
      const etag = etagOf(file.sha256)
      const common = { etag, 'accept-ranges': 'bytes', 'cache-control': 'private, no-cache', 'x-content-type-options': 'nosniff' }
      if (noneMatchSatisfied(request.headers['if-none-match'], etag)) {
        return await reply.code(304).headers(common).send()
      }
      const wanted = ifRangeAllows(singleHeader(request.headers['if-range']), etag)
        ? parseRange(request.headers.range, file.size)
        : { kind: 'whole' as const }
      if (wanted.kind === 'unsatisfiable') {
        throw new ApiError('RANGE_NOT_SATISFIABLE', `The range is not valid for a file of ${file.size} bytes; ask for one range, bytes=first-last`, {
          headers: { 'content-range': `bytes */${file.size}` }
        })
      }
      const range = wanted.kind === 'partial' ? wanted.range : undefined
      // HEAD gets the headers only: an empty stream keeps Fastify's HEAD handling from reading the file
      // (for a stream it keeps our Content-Length; for no payload it would write 0).
      let body
      try {
        body = request.method === 'HEAD' ? Readable.from([]) : await storage.openRead(file.storageKey, range)
      } catch (error) {
        if (error instanceof StoredObjectMissingError && attempt === 1) continue
        throw error
      }
      reply.headers({
        ...common,
        'content-type': 'application/pdf',
        // Always quoted, with an ASCII fallback beside the RFC 8187 `filename*` for non-ASCII names.
        'content-disposition': contentDisposition(file.filename, { type: 'attachment', fallback: file.filename.replace(/[^\x20-\x7e]/g, '?') })
      })
      if (range === undefined) {
        reply.code(200).header('content-length', file.size)
      } else {
        reply.code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
          .header('content-length', range.end - range.start + 1)
      }
      return await reply.send(body)
    }
  }

  const downloadSchema = (summary: string) => ({
    summary,
    description: 'Streams the PDF as an attachment. `If-None-Match` with the ETag → 304; `Range: bytes=first-last` (one range) → 206; ' +
      'a malformed or unsatisfiable range → 416 with `Content-Range: bytes */size`; `If-Range` with the ETag is honoured.',
    tags,
    params: IdParams,
    response: {
      ...downloadResponses(maxBytes),
      ...problemResponses(404),
      416: Type.Ref(ProblemSchema, {
        description: 'Range Not Satisfiable (RANGE_NOT_SATISFIABLE)',
        headers: { 'content-range': contentRangeHeader('bytes */size: the file’s length') }
      })
    }
  })

  app.get('/files/:id/download', { config: { auth: 'bearer' }, schema: downloadSchema('Download a file') },
    async (request, reply) => await download(request.params.id, request, reply))
  app.get('/download/:id', { config: { auth: 'bearer' }, schema: downloadSchema('Download a file (short path)') },
    async (request, reply) => await download(request.params.id, request, reply))
}

export default filesModule
