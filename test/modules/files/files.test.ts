import { eq } from 'drizzle-orm'
import t from 'tap'
import { files } from '../../../src/db/schema/index.js'
import { build, createBook, createFile, createUser, pdfBytes, waitUntil, type FileBody } from '../../helpers/index.js'
import { eachBackend, sha256, upload, uploadParts } from './support.js'

eachBackend(t, async (t, backend) => {
  // One app and database for the file; each test works on files it uploads itself.
  const app = await build(t, { env: { ...backend.env, MAX_UPLOAD_BYTES: '2048' } })
  // Second instances on the same store close with the suite: on the local disk, closing one removes the directory.
  const suite = t

  const rowOf = async (id: number) => (await app.db.select().from(files).where(eq(files.id, id)))[0]

  interface FilePage {
    items: FileBody[]
    page: number
    pageSize: number
    total: number
    totalPages: number
  }

  t.test('GET /api/files lists the caller’s files, /api/all_files everyone’s, newest first and paginated', async (t) => {
    const carol = await createUser(app)
    const dave = await createUser(app)
    const mine = []
    for (let i = 0; i < 3; i++) mine.push((await createFile(app, carol, { filename: `carol-${i}.pdf` })).file)
    const theirs = (await createFile(app, dave, { filename: 'dave.pdf' })).file

    const list = await app.inject({ url: '/api/files', headers: carol.headers })
    t.equal(list.statusCode, 200)
    const page = list.json<FilePage>()
    t.same(page.items.map((f) => f.id), mine.map((f) => f.id).reverse())
    t.match(page, { page: 1, pageSize: 20, total: 3, totalPages: 1 })

    const second = await app.inject({ url: '/api/files?page=2&pageSize=2', headers: carol.headers })
    t.match(second.json(), { items: [{ id: mine[0]?.id }], page: 2, pageSize: 2, total: 3, totalPages: 2 })

    const all = await app.inject({ url: '/api/all_files?pageSize=100', headers: carol.headers })
    t.equal(all.statusCode, 200)
    const everyone = all.json<FilePage>()
    t.ok(everyone.items.some((f) => f.id === theirs.id), 'other users’ files are shared')
    t.ok(mine.every((f) => everyone.items.some((item) => item.id === f.id)))
    const times = everyone.items.map((f) => Date.parse(f.createdAt))
    t.same(times, [...times].sort((a, b) => b - a), 'newest first')

    t.equal((await app.inject({ url: '/api/files?pageSize=101', headers: carol.headers })).statusCode, 400)
    t.equal((await app.inject({ url: '/api/files' })).statusCode, 401)
    t.equal((await app.inject({ url: '/api/all_files' })).statusCode, 401)
  })

  t.test('GET /api/files/:id shows any file to any authenticated user', async (t) => {
    const erin = await createUser(app)
    const frank = await createUser(app)
    const { file } = await createFile(app, erin)
    const response = await app.inject({ url: `/api/files/${file.id}`, headers: frank.headers })
    t.equal(response.statusCode, 200)
    t.same(response.json(), file)
    t.equal((await app.inject({ url: '/api/files/999999', headers: frank.headers })).statusCode, 404)
    t.equal((await app.inject({ url: '/api/files/0', headers: frank.headers })).statusCode, 400)
    t.equal((await app.inject({ url: `/api/files/${file.id}` })).statusCode, 401)
  })

  t.test('PATCH renames (cleaned) and attaches or detaches a book; others get 403 and nothing changes', async (t) => {
    const owner = await createUser(app)
    const other = await createUser(app)
    const admin = await createUser(app, { role: 'admin' })
    const bookId = (await createBook(app, { ownerId: owner.id })).id
    const deletedBook = (await createBook(app, { ownerId: owner.id, deleted: true })).id
    const { file } = await createFile(app, owner, { filename: 'draft.pdf' })
    const patch = (user: typeof owner, payload: object) => app.inject({ method: 'PATCH', url: `/api/files/${file.id}`, headers: user.headers, payload })

    const refused = await patch(other, { filename: 'mine-now.pdf', bookId })
    t.equal(refused.statusCode, 403)
    t.match(refused.json(), { code: 'FORBIDDEN' })
    t.match(await rowOf(file.id), { filename: 'draft.pdf', bookId: null }, 'nothing changed')

    const renamed = await patch(owner, { filename: '../../secret/\u0000final\u202e.pdf', bookId })
    t.equal(renamed.statusCode, 200)
    t.match(renamed.json(), { id: file.id, filename: 'final.pdf', bookId, sha256: file.sha256, size: file.size })

    const detached = await patch(admin, { bookId: null })
    t.equal(detached.statusCode, 200, 'an admin may change any file')
    t.match(detached.json(), { filename: 'final.pdf', bookId: null })

    for (const missing of [999999, deletedBook]) {
      const unknownBook = await patch(owner, { bookId: missing })
      t.equal(unknownBook.statusCode, 404)
      t.match(unknownBook.json(), { code: 'NOT_FOUND', detail: /Book/ })
    }
    const empty = await patch(owner, { filename: '../\u0001' })
    t.equal(empty.statusCode, 400)
    t.match(empty.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/body/filename' }] })
    t.equal((await patch(owner, { ownerId: other.id })).statusCode, 400, 'no mass assignment')
    t.equal((await patch(owner, { filename: '' })).statusCode, 400)
    t.equal((await patch(owner, { size: 1 })).statusCode, 400)
    t.equal((await app.inject({ method: 'PATCH', url: '/api/files/999999', headers: owner.headers, payload: { filename: 'x.pdf' } })).statusCode, 404)
    t.match(await rowOf(file.id), { filename: 'final.pdf', bookId: null, ownerId: owner.id, size: file.size })
    t.equal((await patch(owner, {})).statusCode, 400, 'an empty patch is refused, as on books and /api/me')
  })

  t.test('PUT replaces the content: new bytes and hash, old bytes removed; others get 403', async (t) => {
    const owner = await createUser(app)
    const other = await createUser(app)
    const admin = await createUser(app, { role: 'admin' })
    const bookId = (await createBook(app, { ownerId: owner.id })).id
    const { file, content } = await createFile(app, owner, { filename: 'v1.pdf', bookId })
    const before = await rowOf(file.id)
    const put = (user: typeof owner, bytes: Buffer, filename = 'v2.pdf') =>
      uploadParts(app, user, [{ name: 'file', filename, content: bytes }], { method: 'PUT', url: `/api/files/${file.id}` })

    const refused = await put(other, pdfBytes(100))
    t.equal(refused.statusCode, 403)
    t.same(await rowOf(file.id), before, 'nothing changed')
    t.ok((await backend.bytes(app, before?.storageKey ?? '')).equals(content))

    const notPdf = await put(owner, Buffer.from('plain text'))
    t.equal(notPdf.statusCode, 415)
    const tooLarge = await put(owner, pdfBytes(2049))
    t.equal(tooLarge.statusCode, 413)
    const withBook = await uploadParts(app, owner, [{ name: 'file', filename: 'x.pdf', content: pdfBytes(100) }, { name: 'bookId', value: String(bookId) }], { method: 'PUT', url: `/api/files/${file.id}` })
    t.equal(withBook.statusCode, 400, 'PUT replaces content only; PATCH changes the book')
    t.same(await rowOf(file.id), before, 'refused replacements change nothing')
    t.same((await backend.paths(app)).filter((path) => path.startsWith('tmp/')), [], 'and leave no temporary file')

    const next = pdfBytes(1500)
    const replaced = await put(owner, next)
    t.equal(replaced.statusCode, 200)
    t.match(replaced.json(), { id: file.id, filename: 'v2.pdf', size: 1500, sha256: sha256(next), bookId, ownerId: owner.id, createdAt: file.createdAt })
    const after = await rowOf(file.id)
    t.not(after?.storageKey, before?.storageKey, 'new bytes get a new key')
    t.notOk((await backend.paths(app)).includes(before?.storageKey ?? ''), 'the old bytes are removed')
    const download = await app.inject({ url: file.downloadUrl, headers: other.headers })
    t.ok(download.rawPayload.equals(next))
    t.equal(download.headers.etag, `"${sha256(next)}"`)

    const byAdmin = await put(admin, pdfBytes(200), 'v3.pdf')
    t.equal(byAdmin.statusCode, 200)
    t.equal(byAdmin.json<FileBody>().ownerId, owner.id, 'the owner stays')
    t.equal((await uploadParts(app, owner, [{ name: 'file', filename: 'x.pdf', content: pdfBytes(10) }], { method: 'PUT', url: '/api/files/999999' })).statusCode, 404)
    const badId = await uploadParts(app, owner, [{ name: 'file', filename: 'x.pdf', content: pdfBytes(10) }], { method: 'PUT', url: '/api/files/abc' })
    t.equal(badId.statusCode, 400)
    t.match(badId.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/params/id' }] })
  })

  t.test('concurrent replacements leave exactly the bytes of the winner', async (t) => {
    const owner = await createUser(app)
    const { file } = await createFile(app, owner)
    const versions = Array.from({ length: 5 }, () => pdfBytes(300))
    const responses = await Promise.all(versions.map((bytes) =>
      uploadParts(app, owner, [{ name: 'file', filename: 'v.pdf', content: bytes }], { method: 'PUT', url: `/api/files/${file.id}` })))
    t.same(responses.map((r) => r.statusCode), [200, 200, 200, 200, 200])
    const row = await rowOf(file.id)
    const paths = await backend.paths(app)
    const winner = versions.find((bytes) => sha256(bytes) === row?.sha256)
    t.ok(winner !== undefined)
    t.ok((await backend.bytes(app, row?.storageKey ?? '')).equals(winner ?? Buffer.alloc(0)), 'the row and the bytes agree')
    const rows = await app.db.select({ key: files.storageKey }).from(files)
    t.same(paths, rows.map((r) => r.key).sort(), 'no orphaned or temporary bytes')
  })

  t.test('DELETE removes the row and the bytes; others get 403 and nothing changes', async (t) => {
    const owner = await createUser(app)
    const other = await createUser(app)
    const admin = await createUser(app, { role: 'admin' })
    const { file } = await createFile(app, owner)
    const key = (await rowOf(file.id))?.storageKey ?? ''

    const refused = await app.inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: other.headers })
    t.equal(refused.statusCode, 403)
    t.ok(await rowOf(file.id))
    t.ok((await backend.paths(app)).includes(key))

    const deleted = await app.inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: owner.headers })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.body, '')
    t.equal(await rowOf(file.id), undefined)
    t.notOk((await backend.paths(app)).includes(key), 'the bytes are gone')
    t.equal((await app.inject({ url: file.downloadUrl, headers: owner.headers })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: owner.headers })).statusCode, 404)

    const raced = (await createFile(app, owner)).file
    const racedKey = (await rowOf(raced.id))?.storageKey ?? ''
    const statuses = await Promise.all(Array.from({ length: 5 }, () =>
      app.inject({ method: 'DELETE', url: `/api/files/${raced.id}`, headers: owner.headers }).then((r) => r.statusCode)))
    t.same(statuses.sort(), [204, 404, 404, 404, 404], 'concurrent deletes: one succeeds')
    t.notOk((await backend.paths(app)).includes(racedKey))

    const second = (await createFile(app, owner)).file
    t.equal((await app.inject({ method: 'DELETE', url: `/api/files/${second.id}`, headers: admin.headers })).statusCode, 204, 'an admin may delete any file')
  })

  t.test('a failed removal of the bytes is not the client’s problem: 204, and it is retried', async (t) => {
    const owner = await createUser(app)
    const { file } = await createFile(app, owner)
    const key = (await rowOf(file.id))?.storageKey ?? ''
    const endOutage = await backend.outage(app)
    const deleted = await app.inject({ method: 'DELETE', url: `/api/files/${file.id}`, headers: owner.headers })
    await endOutage()
    t.equal(deleted.statusCode, 204)
    t.equal(await rowOf(file.id), undefined)
    t.ok((await backend.paths(app)).includes(key), 'the bytes outlived the outage')
    // The first retry comes 5 s later.
    await waitUntil(async () => !(await backend.paths(app)).includes(key), { timeoutMs: 10_000 })
    t.notOk((await backend.paths(app)).includes(key), 'and are removed by the retry')
  })

  t.test('uploads by many users at once each get their own row and bytes', async (t) => {
    const users = await Promise.all(Array.from({ length: 4 }, () => createUser(app)))
    const contents = users.map(() => pdfBytes(800))
    const responses = await Promise.all(users.map((user, i) => upload(app, user, contents[i] ?? Buffer.alloc(0))))
    t.same(responses.map((r) => r.statusCode), [201, 201, 201, 201])
    for (const [i, response] of responses.entries()) {
      const body = response.json<FileBody>()
      t.equal(body.sha256, sha256(contents[i] ?? Buffer.alloc(0)))
      t.ok((await backend.bytes(app, (await rowOf(body.id))?.storageKey ?? '')).equals(contents[i] ?? Buffer.alloc(0)))
    }
  })

  t.test('at start-up, old bytes no row points at and stale temporary uploads are swept', async (t) => {
    const owner = await createUser(app)
    const { file } = await createFile(app, owner)
    const key = (await rowOf(file.id))?.storageKey ?? ''
    const orphan = '00000000-0000-4000-8000-000000000000'
    const staleUpload = 'tmp/00000000-0000-4000-8000-000000000001'
    const freshUpload = 'tmp/00000000-0000-4000-8000-000000000002'
    for (const path of [orphan, staleUpload, freshUpload]) await backend.put(app, path, Buffer.from('%PDF-left behind'))
    for (const path of [orphan, staleUpload, key]) await backend.backdate(app, path, 2 * 3600_000)

    // A second instance on the same database and store, as after a restart.
    const restarted = await build(suite, { databaseUrl: app.config.DATABASE_URL, env: { ...backend.env, UPLOAD_DIR: app.config.UPLOAD_DIR } })
    await waitUntil(async () => !(await backend.paths(app)).includes(orphan))
    const paths = await backend.paths(app)
    t.notOk(paths.includes(orphan), 'the orphan is gone')
    t.notOk(paths.includes(staleUpload), 'the stale temporary upload is gone')
    t.ok(paths.includes(freshUpload), 'an upload that may still be in progress stays')
    t.ok(paths.includes(key), 'bytes with a row stay')
    t.equal((await restarted.inject({ url: file.downloadUrl, headers: owner.headers })).statusCode, 200)
    // Not an upload in progress after all: leave the store to the other tests as it was.
    await backend.remove(app, freshUpload)
  })

  t.test('a second instance on the same database and store serves what the first received', async (t) => {
    const owner = await createUser(app)
    const content = pdfBytes(1800)
    const uploaded = (await upload(app, owner, content)).json<FileBody>()
    // On S3 the second machine shares nothing on disk with the first: another UPLOAD_DIR.
    const uploadDir = backend.name === 's3' ? `${app.config.UPLOAD_DIR}-other-machine` : app.config.UPLOAD_DIR
    const other = await build(suite, { databaseUrl: app.config.DATABASE_URL, env: { ...backend.env, UPLOAD_DIR: uploadDir } })
    const download = await other.inject({ url: uploaded.downloadUrl, headers: owner.headers })
    t.equal(download.statusCode, 200)
    t.ok(download.rawPayload.equals(content), 'the same bytes')
    t.equal(download.headers.etag, `"${sha256(content)}"`)
    const range = await other.inject({ url: uploaded.downloadUrl, headers: { ...owner.headers, range: 'bytes=100-199' } })
    t.equal(range.statusCode, 206)
    t.ok(range.rawPayload.equals(content.subarray(100, 200)))

    const key = (await rowOf(uploaded.id))?.storageKey ?? ''
    const deleted = await other.inject({ method: 'DELETE', url: `/api/files/${uploaded.id}`, headers: owner.headers })
    t.equal(deleted.statusCode, 204)
    t.notOk((await backend.paths(app)).includes(key), 'the bytes are gone for both')
    t.equal((await app.inject({ url: uploaded.downloadUrl, headers: owner.headers })).statusCode, 404, 'the first instance sees the delete')
  })
})
