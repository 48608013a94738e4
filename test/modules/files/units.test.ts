import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pino } from 'pino'
import t from 'tap'
import { etagOf, ifRangeAllows, noneMatchSatisfied, parseRange } from '../../../src/modules/files/conditional.js'
import { cleanFilename, uploadedFilename } from '../../../src/modules/files/filename.js'
import { ByteRemover, sweepOrphans } from '../../../src/modules/files/removal.js'
import { loadConfig } from '../../../src/config.js'
import { createLocalDiskStorage } from '../../../src/modules/files/local-storage.js'
import { createS3Storage, s3ClientConfig } from '../../../src/modules/files/s3-storage.js'
import { newStorageKey, StoredObjectMissingError, type FileStorage } from '../../../src/modules/files/storage.js'
import { decodeHeaderFilename } from '../../../src/modules/files/upload.js'
import { waitUntil } from '../../helpers/index.js'
import { startS3Server } from '../../helpers/s3.js'

t.test('parseRange', async (t) => {
  t.same(parseRange(undefined, 100), { kind: 'whole' })
  t.same(parseRange('bytes=0-0', 100), { kind: 'partial', range: { start: 0, end: 0 } })
  t.same(parseRange('bytes = 10-19', 100), { kind: 'partial', range: { start: 10, end: 19 } })
  t.same(parseRange('BYTES=90-', 100), { kind: 'partial', range: { start: 90, end: 99 } })
  t.same(parseRange('bytes=-1', 100), { kind: 'partial', range: { start: 99, end: 99 } })
  t.same(parseRange('bytes=0-9,20-29', 100), { kind: 'whole' })
  t.same(parseRange('bytes=0-9,x', 100), { kind: 'unsatisfiable' })
  t.same(parseRange('pages=1-2', 100), { kind: 'whole' })
  t.same(parseRange('bytes=100-100', 100), { kind: 'unsatisfiable' })
  t.same(parseRange('bytes=99999999999999999999-', 100), { kind: 'unsatisfiable' })
  t.same(parseRange('bytes=', 100), { kind: 'unsatisfiable' })
})

t.test('conditional headers', async (t) => {
  const etag = etagOf('ab')
  t.equal(etag, '"ab"')
  t.ok(noneMatchSatisfied('"x", W/"ab"', etag))
  t.notOk(noneMatchSatisfied('"abc"', etag))
  t.notOk(noneMatchSatisfied(undefined, etag))
  t.ok(ifRangeAllows(undefined, etag))
  t.ok(ifRangeAllows(' "ab" ', etag))
  t.notOk(ifRangeAllows('W/"ab"', etag), 'If-Range needs a strong match')
})

t.test('filenames', async (t) => {
  t.equal(cleanFilename('a/b\\c.pdf'), 'c.pdf')
  t.equal(cleanFilename('\u200bzero\ufeffwidth.pdf'), 'zerowidth.pdf')
  t.equal(cleanFilename('line\u2028break.pdf'), 'linebreak.pdf')
  t.equal(cleanFilename('lone\ud800surrogate.pdf'), 'lonesurrogate.pdf')
  t.equal(cleanFilename('e\u0301.pdf'), '\u00e9.pdf', 'NFC')
  t.equal(cleanFilename('...'), undefined)
  t.equal(uploadedFilename(undefined), 'file.pdf')
  const long = cleanFilename(`${'日'.repeat(300)}.pdf`) ?? ''
  t.equal(Array.from(long).length, 255)
  t.ok(long.endsWith('.pdf'))
  t.equal(Array.from(cleanFilename(`${'x'.repeat(300)}.averyveryverylongextension`) ?? '').length, 255)
  t.equal(decodeHeaderFilename(Buffer.from('Résumé.pdf', 'utf8').toString('latin1')), 'Résumé.pdf')
  t.equal(decodeHeaderFilename('caf\u00e9.pdf'), 'caf\u00e9.pdf', 'latin1 that is not UTF-8 stays')
  t.equal(decodeHeaderFilename('€.pdf'), '€.pdf', 'already decoded names stay')
})

t.test('local disk storage', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'files-storage-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const storage = createLocalDiskStorage(dir)
  await storage.init()
  const target = await storage.createWriteTarget()
  await new Promise<void>((resolve, reject) => target.stream.end(Buffer.from('%PDF-hello'), () => resolve()).once('error', reject))
  const key = newStorageKey()
  await storage.commit(target.tempKey, key)
  t.same(await storage.stat(key), { size: 10 })
  const chunks: Buffer[] = []
  for await (const chunk of await storage.openRead(key, { start: 5, end: 9 })) chunks.push(chunk as Buffer)
  t.equal(Buffer.concat(chunks).toString(), 'hello')
  await storage.remove(key)
  await storage.remove(key)
  t.equal(await storage.stat(key), undefined)
  await t.rejects(storage.openRead(key), StoredObjectMissingError)
  await t.rejects(storage.openRead('../../etc/passwd'), /Invalid storage key/)
  await t.rejects(storage.remove('../x'), /Invalid storage key/)

  // Stale temporary uploads (a crash) are swept; fresh ones (in progress) are not.
  const stale = await storage.createWriteTarget()
  stale.stream.end()
  const fresh = await storage.createWriteTarget()
  fresh.stream.end()
  const old = new Date(Date.now() - 2 * 3600_000)
  await utimes(join(dir, 'tmp', stale.tempKey), old, old)
  await writeFile(join(dir, 'tmp', 'not-ours'), 'x')
  t.equal(await storage.sweepTemporary(3600_000), 1)
  t.same((await readdir(join(dir, 'tmp'))).sort(), [fresh.tempKey, 'not-ours'].sort())
})

t.test('ByteRemover retries a failed removal until it succeeds', async (t) => {
  let failures = 2
  const removed: string[] = []
  const storage = {
    remove: async (key: string) => {
      if (failures-- > 0) throw new Error('disk busy')
      removed.push(key)
    }
  } as unknown as FileStorage
  const remover = new ByteRemover(storage, pino({ level: 'silent' }), [5, 5])
  await remover.remove('k1')
  t.same(remover.pending, ['k1'], 'scheduled again after a failure')
  // The retry timers are unref'd, so a bare promise would let the process exit: poll for the removal.
  await waitUntil(() => removed.length > 0)
  t.same(removed, ['k1'])
  t.same(remover.pending, [])

  failures = 100
  await remover.remove('k2')
  t.same(remover.pending, ['k2'])
  remover.close()
  t.same(remover.pending, [], 'close stops the retries')
})

t.test('sweepOrphans removes old bytes no row points at, and nothing else', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'files-orphans-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const storage = createLocalDiskStorage(dir)
  await storage.init()
  const [kept, orphan, young] = [newStorageKey(), newStorageKey(), newStorageKey()]
  const old = new Date(Date.now() - 2 * 3600_000)
  for (const key of [kept, orphan, young]) {
    await writeFile(join(dir, key), '%PDF-')
    if (key !== young) await utimes(join(dir, key), old, old)
  }
  await writeFile(join(dir, 'README'), 'not a key')
  let asked: string[] = []
  const removed = await sweepOrphans(storage, async (keys) => {
    asked = keys
    return new Set([kept])
  }, pino({ level: 'silent' }), 3600_000)
  t.equal(removed, 1)
  t.same(asked.sort(), [kept, orphan].sort(), 'only old keys are checked')
  t.same((await readdir(dir)).filter((name) => name !== 'tmp').sort(), [kept, young, 'README'].sort())
})

t.test('S3 storage on a real s3rver: a missing bucket is created; commit, ranged reads, removal and sweeps', async (t) => {
  const s3 = await startS3Server(t)
  const storage = createS3Storage(s3.client, 'created-at-start')
  await storage.init()
  t.same(await s3.keys('created-at-start'), [], 'init created the missing bucket')

  const target = await storage.createWriteTarget()
  await pipeline(Readable.from([Buffer.from('%PDF-'), Buffer.from('hello')]), target.stream)
  t.same(await s3.keys('created-at-start'), [`tmp/${target.tempKey}`], 'the stream finished once the temporary object existed')
  const key = newStorageKey()
  await storage.commit(target.tempKey, key)
  t.same(await s3.keys('created-at-start'), [key], 'committed: copied to its key, the temporary object gone')
  t.same(await storage.stat(key), { size: 10 })
  const chunks: Buffer[] = []
  for await (const chunk of await storage.openRead(key, { start: 5, end: 9 })) chunks.push(chunk as Buffer)
  t.equal(Buffer.concat(chunks).toString(), 'hello')
  await storage.remove(key)
  await storage.remove(key)
  t.equal(await storage.stat(key), undefined)
  await t.rejects(storage.openRead(key), StoredObjectMissingError)
  await t.rejects(storage.openRead('../x'), /Invalid storage key/)

  // Only keys older than the threshold are swept or listed; other names are not ours.
  const storageOf = createS3Storage(s3.client, s3.bucket)
  const [stale, fresh, old] = [newStorageKey(), newStorageKey(), newStorageKey()]
  for (const name of [`tmp/${stale}`, `tmp/${fresh}`, old, 'README']) await s3.put(name, Buffer.from('%PDF-'))
  for (const name of [`tmp/${stale}`, old, 'README']) await s3.backdate(name, 2 * 3600_000)
  t.equal(await storageOf.sweepTemporary(3600_000), 1)
  t.same(await s3.keys(), ['README', old, `tmp/${fresh}`].sort())
  const listed: string[] = []
  for await (const batch of storageOf.listKeys(3600_000)) listed.push(...batch)
  t.same(listed, [old], 'committed keys only, old ones only')
})

t.test('S3 settings: checksums only where required off AWS; keys in pairs; a bucket with STORAGE=s3', async (t) => {
  const base = { S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: false, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined }
  t.same(s3ClientConfig({ ...base, S3_ENDPOINT: undefined }), { region: 'eu-west-1', forcePathStyle: false }, 'AWS: the SDK defaults and credential chain')
  t.match(s3ClientConfig({ ...base, S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'secret' }), {
    endpoint: 'http://minio:9000',
    credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
  const load = (env: Record<string, string>) => loadConfig({ env, dotenv: false })
  t.match(load({ STORAGE: 's3', S3_BUCKET: 'books', S3_FORCE_PATH_STYLE: 'true' }), { STORAGE: 's3', S3_BUCKET: 'books', S3_FORCE_PATH_STYLE: true, S3_REGION: 'us-east-1' })
  t.equal(load({}).STORAGE, 'local')
  t.throws(() => load({ STORAGE: 's3' }), /S3_BUCKET is required when STORAGE=s3/)
  t.throws(() => load({ S3_ACCESS_KEY_ID: 'id' }), /set together or not at all/)
  t.throws(() => load({ STORAGE: 'gcs' }), /STORAGE must be equal to one of the allowed values/)
  t.throws(() => load({ S3_BUCKET: 'No_Such' }), /S3_BUCKET must match/)
})
