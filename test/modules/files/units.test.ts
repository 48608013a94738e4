import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { etagOf, ifRangeAllows, noneMatchSatisfied, parseRange } from '../../../src/modules/files/conditional.js'
import { cleanFilename, uploadedFilename } from '../../../src/modules/files/filename.js'
import { ByteRemover, sweepOrphans } from '../../../src/modules/files/removal.js'
import { createLocalDiskStorage } from '../../../src/modules/files/local-storage.js'
import { newStorageKey, StoredObjectMissingError, type FileStorage } from '../../../src/modules/files/storage.js'
import { decodeHeaderFilename } from '../../../src/modules/files/upload.js'
import { waitUntil } from '../../helpers/index.js'

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
