import { mkdtemp, rm, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { s3ClientConfig } from '../../src/modules/files/s3-storage.js'
import type { TestContext } from './build.js'

/** A request the server answered, as its log would show it. */
export interface S3Request {
  method: string
  url: string
  status: number
}

/** A real S3-compatible server (s3rver) on loopback, with one bucket, for one test file. */
export interface S3TestServer {
  bucket: string
  /** The app's environment for `STORAGE=s3` on this server and bucket. */
  env: Record<string, string>
  /** A client of the test's own, with the app's settings. */
  client: S3Client
  /** Every request answered so far, in order. */
  requests: S3Request[]
  /** Every object key in `bucket`, sorted (`tmp/<uuid>` for uploads in progress). */
  keys: (bucket?: string) => Promise<string[]>
  bytes: (key: string) => Promise<Buffer>
  put: (key: string, content: Buffer) => Promise<void>
  remove: (key: string) => Promise<void>
  /** Sets an object's Last-Modified `ageMs` into the past (s3rver reads it from its file's mtime). */
  backdate: (key: string, ageMs: number) => Promise<void>
  deleteBucket: (bucket: string) => Promise<void>
  /** An outage: the server stops answering until `start` brings it back on the same port and data. */
  stop: () => Promise<void>
  start: () => Promise<void>
}

/** Starts s3rver on a random loopback port in a fresh directory, with `bucket`; stopped and removed at teardown. */
export async function startS3Server (t: TestContext, { bucket = 'bookstore-test' } = {}): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'))
  const requests: S3Request[] = []
  let port = 0
  let server: S3rver | undefined

  async function start () {
    const instance = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] })
    instance.middleware.unshift(async (context, next) => {
      try {
        await next()
      } finally {
        requests.push({ method: context.method, url: context.url, status: context.status })
      }
    })
    port = (await instance.run()).port
    server = instance
  }
  async function stop () {
    await server?.close()
    server = undefined
  }

  await start()
  // s3rver accepts any key pair it is configured with; S3RVER/S3RVER is its default.
  const env = {
    STORAGE: 's3',
    S3_BUCKET: bucket,
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true'
  }
  const client = new S3Client(s3ClientConfig({
    S3_ENDPOINT: env.S3_ENDPOINT,
    S3_REGION: env.S3_REGION,
    S3_FORCE_PATH_STYLE: true,
    S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY
  }))
  t.teardown(async () => {
    client.destroy()
    await stop()
    await rm(directory, { recursive: true, force: true })
  })

  return {
    bucket,
    env,
    client,
    requests,
    async keys (name = bucket) {
      const keys: string[] = []
      for await (const page of paginateListObjectsV2({ client }, { Bucket: name })) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key)
      }
      return keys.sort()
    },
    async bytes (key) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return Buffer.from(await response.Body?.transformToByteArray() ?? [])
    },
    async put (key, content) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content }))
    },
    async remove (key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
    },
    async backdate (key, ageMs) {
      const then = new Date(Date.now() - ageMs)
      await utimes(join(directory, bucket, `${key}._S3rver_object`), then, then)
    },
    async deleteBucket (name) {
      await client.send(new DeleteBucketCommand({ Bucket: name }))
    },
    stop,
    start
  }
}
