import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { StoredFile } from '../../db/schema/index.js'
import { forbidden, invalidRequest, notFound } from '../../lib/problem.js'
import { IdParams, NoContent, Page, PaginationQuery, pageOf } from '../../schemas/common.js'
import type { ErrorCodes } from '../../schemas/problems.js'
import { cleanFilename } from './filename.js'
import { checkBook, fileOr404 } from './lookups.js'
import { deleteFile, listFiles, updateFile } from './repository.js'
import { FilePatchBody, FileSchema, UploadForm, toFileView } from './schemas.js'
import { uploadValidatorCompiler } from './validation.js'
import { ownsOrAdmin, type Caller } from '../catalogue/index.js'

const canChange = (caller: Caller, file: StoredFile) => ownsOrAdmin(caller, file.ownerId)

const tags = ['Files']

/** What a change by someone other than the owner or an admin, or of an unknown file, answers. */
const ownerErrors: ErrorCodes = { 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] }

/** Listing, uploading, reading, replacing, renaming and deleting files. */
export const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const maxBytes = app.config.MAX_UPLOAD_BYTES

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
    config: { auth: 'verified', idempotent: true, errors: { 404: ['NOT_FOUND'] } },
    validatorCompiler: uploadValidatorCompiler,
    schema: {
      summary: 'Upload a PDF',
      description: 'A multipart/form-data body with the PDF in the `file` part and, optionally, a `bookId` field (in either order). ' +
        `The content must start with %PDF- (415 otherwise, whatever its name or declared type); at most ${maxBytes} bytes (413). ` +
        'A refused or interrupted upload leaves nothing behind.',
      tags,
      consumes: ['multipart/form-data'],
      body: UploadForm(maxBytes, { withBookId: true }),
      response: { 201: FileSchema }
    }
  }, async (request, reply) => {
    const file = await app.fileUploads.create(request, reply, request.auth.userId)
    return await reply.code(201).header('location', `/api/files/${file.id}`).send(toFileView(file))
  })

  app.get('/files/:id', {
    config: { auth: 'bearer', errors: { 404: ['NOT_FOUND'] } },
    schema: {
      summary: 'A file’s metadata',
      description: 'Any authenticated user may read any file’s metadata.',
      tags,
      params: IdParams,
      response: { 200: FileSchema }
    }
  }, async (request) => toFileView(await fileOr404(app.db, request.params.id)))

  app.put('/files/:id', {
    config: { auth: 'verified', errors: ownerErrors },
    validatorCompiler: uploadValidatorCompiler,
    schema: {
      summary: 'Replace a file’s content (owner or admin)',
      description: 'A multipart/form-data body with the new PDF in the `file` part; the same checks as an upload. ' +
        'The filename becomes the new part’s; the book and the creation time stay. The old bytes are removed once the change is saved.',
      tags,
      consumes: ['multipart/form-data'],
      params: IdParams,
      body: UploadForm(maxBytes, { withBookId: false }),
      response: { 200: FileSchema }
    }
  }, async (request, reply) => {
    const existing = await fileOr404(app.db, request.params.id)
    if (!canChange(request.auth, existing)) throw forbidden('Only the owner or an admin may change this file')
    return toFileView(await app.fileUploads.replace(request, reply, existing))
  })

  app.patch('/files/:id', {
    config: { auth: 'bearer', errors: ownerErrors },
    schema: {
      summary: 'Rename a file or attach it to a book (owner or admin)',
      description: 'A new `filename` is cleaned like an uploaded one (400 when nothing is left); `bookId: null` detaches the file; an unknown or deleted book is 404. Others get 403.',
      tags,
      params: IdParams,
      body: FilePatchBody,
      response: { 200: FileSchema }
    }
  }, async (request) => {
    const existing = await fileOr404(app.db, request.params.id)
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
      await checkBook(app.db, request.body.bookId)
      changes.bookId = request.body.bookId
    }
    await updateFile(app.db, existing.id, changes)
    return toFileView(await fileOr404(app.db, existing.id))
  })

  app.delete('/files/:id', {
    config: { auth: 'bearer', errors: ownerErrors },
    schema: {
      summary: 'Delete a file and its bytes (owner or admin)',
      description: 'Removes the row and the stored bytes (should removing the bytes fail, it is logged and retried; the answer is still 204). Others get 403.',
      tags,
      params: IdParams,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    const deleted = await deleteFile(app.db, request.params.id, (file) => {
      if (!canChange(request.auth, file)) throw forbidden('Only the owner or an admin may delete this file')
    })
    if (deleted === undefined) throw notFound('File')
    await app.fileRemover.remove(deleted.storageKey)
    return await reply.code(204).send(null)
  })
}
