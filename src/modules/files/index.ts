import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { downloadRoutes } from './download.js'
import fileRemoval from './removal.js'
import { fileRoutes } from './routes.js'
import fileStorage from './storage-plugin.js'
import { multipartLimits } from './upload.js'
import fileUploads from './uploads.js'

/** Shared PDFs: multipart uploads streamed to storage, metadata in `files`, ranged downloads. */
const filesModule: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(fileStorage)
  await app.register(fileRemoval)
  await app.register(fileUploads)
  // Registered here, so only these routes parse multipart bodies, with limits of their own.
  await app.register(multipart, { limits: multipartLimits(app.config.MAX_UPLOAD_BYTES) })
  await app.register(fileRoutes)
  await app.register(downloadRoutes)
}

export default filesModule
