import { S3Client } from '@aws-sdk/client-s3'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createLocalDiskStorage } from './local-storage.js'
import { createS3Storage, s3ClientConfig } from './s3-storage.js'
import { staleUploadMs, type FileStorage } from './storage.js'

declare module 'fastify' {
  interface FastifyInstance {
    fileStorage: FileStorage
  }
}

/** The backend `STORAGE` names; an S3 client is destroyed (its sockets closed) when the app closes. */
function createStorage (app: FastifyInstance): FileStorage {
  const { config } = app
  if (config.STORAGE === 'local') return createLocalDiskStorage(config.UPLOAD_DIR)
  // loadConfig refuses STORAGE=s3 without a bucket; the check only tells TypeScript.
  if (config.S3_BUCKET === undefined) throw new Error('S3_BUCKET is required when STORAGE=s3')
  const client = new S3Client(s3ClientConfig(config))
  app.addHook('onClose', async () => { client.destroy() })
  return createS3Storage(client, config.S3_BUCKET)
}

/** `app.fileStorage`: the local disk or a bucket, ready, and rid of uploads a crash left behind. */
export default fp(async function fileStoragePlugin (app) {
  const storage = createStorage(app)
  await storage.init()
  const swept = await storage.sweepTemporary(staleUploadMs)
  if (swept > 0) app.log.info({ count: swept }, 'removed stale temporary uploads')
  app.decorate('fileStorage', storage)
}, { name: 'file-storage', dependencies: ['config'] })
