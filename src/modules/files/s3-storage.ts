import { PassThrough, Readable, Writable } from 'node:stream'
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3ServiceException,
  type S3Client,
  type S3ClientConfig
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { Config } from '../../config.js'
import { checkKey, keyPattern, newStorageKey, StoredObjectMissingError, type FileStorage } from './storage.js'

/** Uploads in progress live under this prefix until `commit` copies them to their key. */
const tempPrefix = 'tmp/'

/**
 * S3's smallest part (5 MiB), one part in flight: an upload holds about one part in memory however
 * large the file, and backpressure holds the client's body back while that part is sent.
 */
const partSize = 5 * 1024 * 1024

/** The SDK's client settings from `S3_*`. */
export function s3ClientConfig (config: Pick<Config, 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY'>): S3ClientConfig {
  const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = config
  return {
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(accessKeyId === undefined || secretAccessKey === undefined ? {} : { credentials: { accessKeyId, secretAccessKey } }),
    // Off AWS, checksums only where an operation requires one: SDK ≥ 3.729 adds CRC32 headers to every
    // upload by default, which several S3-compatible stores (Backblaze B2, OVH, older MinIO) refuse.
    ...(endpoint === undefined ? {} : { endpoint, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  }
}

const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound')

/**
 * A Writable into a new object, through lib-storage's `Upload` (one PutObject for a small file, a
 * multipart upload for a larger one). It finishes only once the object is stored; destroyed before
 * that, it fails the upload, which then aborts its multipart upload, so no object appears.
 */
function objectWriter (client: S3Client, bucket: string, key: string): Writable {
  const body = new PassThrough()
  const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/pdf' }, partSize, queueSize: 1 })
  const done = upload.done()
  const asError = (error: unknown) => error instanceof Error ? error : new Error(String(error))
  const writer = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      if (body.write(chunk)) callback()
      else body.once('drain', () => { callback() })
    },
    final (callback) {
      body.end()
      done.then(() => { callback() }, (error: unknown) => { callback(asError(error)) })
    },
    destroy (error, callback) {
      // The upload reads `body`: ending it with an error makes the upload fail and clean up; wait for that.
      body.destroy(error ?? undefined)
      done.then(() => { callback(error) }, () => { callback(error) })
    }
  })
  // A store that fails mid-upload stops reading `body`: fail the writer, or it would wait for a drain forever.
  done.catch((error: unknown) => { writer.destroy(asError(error)) })
  return writer
}

/**
 * Files as objects in one bucket: committed bytes as `<uuid>`, uploads in progress as `tmp/<uuid>`.
 * `commit` is a server-side CopyObject (an object appears whole or not at all), then the temporary
 * object is deleted. CopyObject copies at most 5 GiB, far above any sensible `MAX_UPLOAD_BYTES`.
 */
export function createS3Storage (client: S3Client, bucket: string): FileStorage {
  const tempObject = (key: string) => `${tempPrefix}${checkKey(key)}`
  const deleteObject = async (key: string) => { await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })) }

  /** Pages of the objects under `prefix` last modified before `threshold` (ms), keys without the prefix. */
  async function * olderThan (prefix: string, threshold: number): AsyncIterable<string[]> {
    // The delimiter keeps `tmp/…` out of the committed keys' listing.
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
      const keys = (page.Contents ?? [])
        .filter((object) => object.LastModified !== undefined && object.LastModified.getTime() < threshold)
        .map((object) => (object.Key ?? '').slice(prefix.length))
        .filter((key) => keyPattern.test(key))
      if (keys.length > 0) yield keys
    }
  }

  return {
    async init () {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }))
      } catch (error) {
        // Like the database, the bucket is created when missing; any other answer (403) stops the start.
        if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) throw error
        await client.send(new CreateBucketCommand({ Bucket: bucket }))
      }
    },

    async createWriteTarget () {
      const tempKey = newStorageKey()
      return { tempKey, stream: objectWriter(client, bucket, tempObject(tempKey)) }
    },

    async commit (tempKey, key) {
      await client.send(new CopyObjectCommand({ Bucket: bucket, Key: checkKey(key), CopySource: `${bucket}/${tempObject(tempKey)}` }))
      await deleteObject(tempObject(tempKey))
    },

    async discard (tempKey) {
      await deleteObject(tempObject(tempKey))
    },

    async openRead (key, range) {
      let response
      try {
        response = await client.send(new GetObjectCommand({
          Bucket: bucket,
          Key: checkKey(key),
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` })
        }))
      } catch (error) {
        if (isMissing(error)) throw new StoredObjectMissingError(key)
        throw error
      }
      // In Node the SDK answers with the HTTP response itself: streamed, never buffered.
      if (!(response.Body instanceof Readable)) throw new Error('The S3 client returned no stream')
      return response.Body
    },

    async stat (key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: checkKey(key) }))
        return { size: head.ContentLength ?? 0 }
      } catch (error) {
        if (isMissing(error)) return undefined
        throw error
      }
    },

    async remove (key) {
      // S3 answers 204 for a key that is already gone.
      await deleteObject(checkKey(key))
    },

    async sweepTemporary (maxAgeMs) {
      let removed = 0
      for await (const keys of olderThan(tempPrefix, Date.now() - maxAgeMs)) {
        for (const key of keys) await deleteObject(tempObject(key))
        removed += keys.length
      }
      return removed
    },

    listKeys (minAgeMs) {
      return olderThan('', Date.now() - minAgeMs)
    }
  }
}
