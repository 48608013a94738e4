import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { StoredFile } from '../../db/schema/index.js'
import { notFound } from '../../lib/problem.js'
import { checkBook, fileOr404 } from './lookups.js'
import { insertFile, replaceContent } from './repository.js'
import { newStorageKey } from './storage.js'
import { receiveUpload } from './upload.js'

/**
 * Uploads from the request to a saved row, with their compensation: whatever step fails, what the
 * earlier steps stored is taken back (uncommitted bytes discarded, committed ones removed), so a
 * refused or failed upload leaves neither bytes nor a row.
 */
function createUploads (app: FastifyInstance) {
  const { fileStorage: storage, fileRemover: remover } = app
  const maxBytes = app.config.MAX_UPLOAD_BYTES

  /** A new file of `ownerId`'s, optionally attached to the form's `bookId`. */
  async function create (request: FastifyRequest, reply: FastifyReply, ownerId: number): Promise<StoredFile> {
    const upload = await receiveUpload(request, reply, storage, { maxBytes, acceptsBookId: true })
    const key = newStorageKey()
    let committed = false
    try {
      await checkBook(app.db, upload.bookId)
      await storage.commit(upload.tempKey, key)
      committed = true
      const id = await insertFile(app.db, {
        ownerId,
        bookId: upload.bookId ?? null,
        filename: upload.filename,
        size: upload.size,
        sha256: upload.sha256,
        storageKey: key
      })
      return await fileOr404(app.db, id)
    } catch (error) {
      if (committed) await remover.remove(key)
      else await storage.discard(upload.tempKey)
      throw error
    }
  }

  /** New content for `existing`; its old bytes are removed once the row points at the new ones. */
  async function replace (request: FastifyRequest, reply: FastifyReply, existing: StoredFile): Promise<StoredFile> {
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
    return await fileOr404(app.db, existing.id)
  }

  return { create, replace }
}

declare module 'fastify' {
  interface FastifyInstance {
    fileUploads: ReturnType<typeof createUploads>
  }
}

/** `app.fileUploads`: storing an uploaded PDF and saving its row, all or nothing. */
export default fp(async function fileUploadsPlugin (app) {
  app.decorate('fileUploads', createUploads(app))
}, { name: 'file-uploads', dependencies: ['config', 'db', 'file-storage', 'file-removal'] })
