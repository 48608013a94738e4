import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { build, createBook, createUser, multipartBody, pdfBytes, waitUntil, type FileBody } from '../../helpers/index.js'
import { eachBackend, fileRows, sha256, upload, uploadParts, uuidPattern } from './support.js'

const limit = 2048

eachBackend(t, async (t, backend) => {
  // One app and database for most tests (each compares what it finds before and after itself).
  const app = await build(t, { env: { ...backend.env, MAX_UPLOAD_BYTES: String(limit) } })

  /** What is stored now: rows and files on disk. */
  async function snapshot () {
    return { rows: (await fileRows(app)).map((row) => row.id).sort(), paths: await backend.paths(app) }
  }

  t.test('an uploaded PDF comes back byte for byte, stored under a random name', async (t) => {
    const alice = await createUser(app)
    const content = pdfBytes(1500)
    const before = await snapshot()

    const response = await upload(app, alice, content, { filename: 'Le Guin - The Dispossessed.pdf' })
    t.equal(response.statusCode, 201)
    const file = response.json<FileBody>()
    t.match(file, {
      filename: 'Le Guin - The Dispossessed.pdf',
      contentType: 'application/pdf',
      size: 1500,
      sha256: sha256(content),
      ownerId: alice.id,
      bookId: null,
      downloadUrl: `/api/files/${file.id}/download`
    })
    t.ok(Number.isInteger(file.id))
    t.ok(!Number.isNaN(Date.parse(file.createdAt)))
    t.equal(response.headers.location, `/api/files/${file.id}`)

    const row = (await fileRows(app)).find((r) => r.id === file.id)
    t.ok(row !== undefined && uuidPattern.test(row.storageKey), 'the storage key is a random UUID')
    t.same(await backend.paths(app), [...before.paths, row?.storageKey].sort(), 'only the committed bytes are added, directly under UPLOAD_DIR')
    t.ok((await backend.bytes(app, row?.storageKey ?? '')).equals(content))

    const download = await app.inject({ url: file.downloadUrl, headers: alice.headers })
    t.equal(download.statusCode, 200)
    t.ok(download.rawPayload.equals(content), 'the download is the upload')
    t.equal(sha256(download.rawPayload), file.sha256)
  })

  t.test('bookId attaches the file to a book, before or after the file part', async (t) => {
    const alice = await createUser(app)
    const bookId = (await createBook(app, { ownerId: alice.id })).id

    const after = await upload(app, alice, pdfBytes(), { bookId })
    t.equal(after.statusCode, 201)
    t.equal(after.json<FileBody>().bookId, bookId)

    const before = await uploadParts(app, alice, [{ name: 'bookId', value: String(bookId) }, { name: 'file', filename: 'a.pdf', content: pdfBytes() }])
    t.equal(before.statusCode, 201)
    t.equal(before.json<FileBody>().bookId, bookId)
  })

  t.test('an unknown or deleted book is 404 and leaves nothing behind', async (t) => {
    const alice = await createUser(app)
    const deletedBook = (await createBook(app, { ownerId: alice.id, deleted: true })).id
    const before = await snapshot()
    for (const bookId of [999999, deletedBook]) {
      const response = await upload(app, alice, pdfBytes(), { bookId })
      t.equal(response.statusCode, 404)
      t.match(response.json(), { code: 'NOT_FOUND', detail: /Book/ })
    }
    t.same(await snapshot(), before)
  })

  t.test('a malformed bookId is 400 and leaves nothing behind', async (t) => {
    const alice = await createUser(app)
    const before = await snapshot()
    for (const bookId of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const response = await upload(app, alice, pdfBytes(), { bookId })
      t.equal(response.statusCode, 400, bookId)
      t.match(response.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/body/bookId' }] })
    }
    t.same(await snapshot(), before)
  })

  t.test('MAX_UPLOAD_BYTES is the largest file accepted; one byte more is 413 and leaves nothing', async (t) => {
    const alice = await createUser(app)

    const exact = await upload(app, alice, pdfBytes(limit))
    t.equal(exact.statusCode, 201)
    t.equal(exact.json<FileBody>().size, limit)
    const before = await snapshot()

    for (const size of [limit + 1, limit * 10]) {
      const tooLarge = await upload(app, alice, pdfBytes(size))
      t.equal(tooLarge.statusCode, 413)
      t.equal(tooLarge.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(tooLarge.json(), { code: 'PAYLOAD_TOO_LARGE', detail: new RegExp(String(limit)) })
    }
    // A declared length that cannot fit is refused before the body is read.
    const huge = await upload(app, alice, pdfBytes(limit + 600 * 1024))
    t.equal(huge.statusCode, 413)
    t.equal(huge.headers.connection, 'close')
    t.same(await snapshot(), before, 'no row, no temporary file is left')
  })

  t.test('only PDFs by content: names and declared types are not trusted', async (t) => {
    const alice = await createUser(app)
    const cases: Array<[string, Buffer]> = [
      ['an HTML page named .pdf', Buffer.from('<html><script>alert(1)</script></html>')],
      ['an empty file', Buffer.alloc(0)],
      ['four bytes of the header', Buffer.from('%PDF')],
      ['a header not at the start', Buffer.from(' %PDF-1.7 hidden')],
      ['lower case', Buffer.from('%pdf-1.7 nope')]
    ]
    const before = await snapshot()
    for (const [what, content] of cases) {
      const response = await uploadParts(app, alice, [{ name: 'file', filename: 'report.pdf', contentType: 'application/pdf', content }])
      t.equal(response.statusCode, 415, what)
      t.match(response.json(), { code: 'UNSUPPORTED_MEDIA_TYPE' }, what)
    }
    t.same(await snapshot(), before, 'refused uploads leave nothing')
    // A PDF is accepted whatever the client calls it.
    const disguised = await uploadParts(app, alice, [{ name: 'file', filename: 'photo.jpg', contentType: 'image/jpeg', content: pdfBytes(50) }])
    t.equal(disguised.statusCode, 201)
    t.equal(disguised.json<FileBody>().contentType, 'application/pdf')
  })

  t.test('malformed forms are 400, too many parts 413, other bodies 415; nothing is kept', async (t) => {
    const alice = await createUser(app)
    const pdf = pdfBytes()
    const before = await snapshot()

    const noFile = await uploadParts(app, alice, [{ name: 'bookId', value: '1' }])
    t.equal(noFile.statusCode, 400)
    t.match(noFile.json(), { code: 'VALIDATION_FAILED', errors: [{ path: '/body/file', message: 'is required' }] })

    const fileAsField = await uploadParts(app, alice, [{ name: 'file', value: '%PDF-1.7' }])
    t.equal(fileAsField.statusCode, 400)
    t.match(fileAsField.json(), { errors: [{ path: '/body/file' }] })

    const wrongName = await uploadParts(app, alice, [{ name: 'document', filename: 'a.pdf', content: pdf }])
    t.equal(wrongName.statusCode, 400)
    t.match(wrongName.json(), { errors: [{ path: '/body/document', message: 'is not a known property' }] })

    const unknownField = await uploadParts(app, alice, [{ name: 'file', filename: 'a.pdf', content: pdf }, { name: 'ownerId', value: '1' }])
    t.equal(unknownField.statusCode, 400)
    t.match(unknownField.json(), { errors: [{ path: '/body/ownerId', message: 'is not a known property' }] })

    const twoFiles = await uploadParts(app, alice, [{ name: 'file', filename: 'a.pdf', content: pdf }, { name: 'file', filename: 'b.pdf', content: pdf }])
    t.equal(twoFiles.statusCode, 413)
    t.match(twoFiles.json(), { code: 'PAYLOAD_TOO_LARGE' })

    const manyFields = await uploadParts(app, alice, [{ name: 'a', value: '1' }, { name: 'b', value: '2' }, { name: 'c', value: '3' }, { name: 'file', filename: 'a.pdf', content: pdf }])
    t.equal(manyFields.statusCode, 413)

    const json = await app.inject({ method: 'POST', url: '/api/files', headers: alice.headers, payload: { file: 'x' } })
    t.equal(json.statusCode, 415)
    t.match(json.json(), { code: 'UNSUPPORTED_MEDIA_TYPE' })

    const raw = await app.inject({ method: 'POST', url: '/api/files', headers: { ...alice.headers, 'content-type': 'application/pdf' }, payload: pdf })
    t.equal(raw.statusCode, 415)

    const noBoundary = await app.inject({ method: 'POST', url: '/api/files', headers: { ...alice.headers, 'content-type': 'multipart/form-data' }, payload: pdf })
    t.equal(noBoundary.statusCode, 400)

    const { payload, headers } = multipartBody([{ name: 'file', filename: 'a.pdf', content: pdf }])
    const truncated = await app.inject({ method: 'POST', url: '/api/files', headers: { ...alice.headers, ...headers }, payload: payload.subarray(0, payload.length - 40) })
    t.equal(truncated.statusCode, 400)

    t.same(await snapshot(), before)
  })

  t.test('uploading needs a verified account', async (t) => {
    const unverified = await createUser(app, { verified: false })
    const before = await snapshot()
    const anonymous = await app.inject({ method: 'POST', url: '/api/files', ...multipartBody([{ name: 'file', filename: 'a.pdf', content: pdfBytes() }]) })
    t.equal(anonymous.statusCode, 401)
    const refused = await upload(app, unverified, pdfBytes())
    t.equal(refused.statusCode, 403)
    t.match(refused.json(), { code: 'EMAIL_NOT_VERIFIED' })
    t.same(await snapshot(), before)
  })

  t.test('client filenames are reduced to a harmless base name; disk names stay random', async (t) => {
    const alice = await createUser(app)
    const cases: Array<[string, string]> = [
      ['../../etc/passwd.pdf', 'passwd.pdf'],
      ['..\\..\\Windows\\system32\\evil.pdf', 'evil.pdf'],
      ['C:\\Users\\me\\Desktop\\thesis.pdf', 'thesis.pdf'],
      ['/absolute/path/report.pdf', 'report.pdf'],
      ['tab\there\u0001\u001f\u007f.pdf', 'tabhere.pdf'],
      ['invoice\u202egnp.pdf', 'invoicegnp.pdf'],
      ['  spaced.pdf  ', 'spaced.pdf'],
      ['..', 'file.pdf'],
      ['../', 'file.pdf'],
      ['\u0007\u0008', 'file.pdf'],
      ['Résumé – 日本語.pdf', 'Résumé – 日本語.pdf']
    ]
    for (const [sent, kept] of cases) {
      const response = await upload(app, alice, pdfBytes(20), { filename: sent })
      t.equal(response.statusCode, 201, JSON.stringify(sent))
      t.equal(response.json<FileBody>().filename, kept, JSON.stringify(sent))
    }
    const long = await upload(app, alice, pdfBytes(20), { filename: `${'x'.repeat(400)}.pdf` })
    t.equal(long.json<FileBody>().filename, `${'x'.repeat(251)}.pdf`, 'long names are cut to 255 characters, keeping the extension')

    const encoded = await uploadParts(app, alice, [{ name: 'file', filename: '', dispositionParams: 'filename*=UTF-8\'\'%E2%82%AC%20rates%2F..%2Fx.pdf', content: pdfBytes(20) }])
    t.equal(encoded.statusCode, 201)
    t.equal(encoded.json<FileBody>().filename, 'x.pdf')

    const rows = await fileRows(app)
    const paths = await backend.paths(app)
    t.equal(paths.length, rows.length)
    t.ok(paths.every((path) => uuidPattern.test(path)), 'every stored file is named by a UUID, directly in UPLOAD_DIR')
    t.same(paths, rows.map((row) => row.storageKey).sort())
  })

  t.test('a database failure after the bytes are committed removes them and keeps no row', async (t) => {
    const alice = await createUser(app)
    const before = await snapshot()
    t.teardown(() => app.pool.query('DROP TRIGGER IF EXISTS files_refuse'))
    await app.pool.query("CREATE TRIGGER files_refuse BEFORE INSERT ON files FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused for the test'")
    const response = await upload(app, alice, pdfBytes())
    t.equal(response.statusCode, 500)
    t.match(response.json(), { code: 'INTERNAL' })
    t.notMatch(response.body, /refused for the test/, 'no SQL reaches the client')
    t.same(await snapshot(), before)
  })

  t.test('a storage failure is a 500 (logged), not the client’s fault, and keeps no row', async (t) => {
    const alice = await createUser(app)
    const before = await snapshot()
    const endOutage = await backend.outage(app)
    const response = await upload(app, alice, pdfBytes())
    await endOutage()
    t.equal(response.statusCode, 500)
    t.match(response.json(), { code: 'INTERNAL' })
    t.notMatch(response.body, /ENOTDIR|ECONNREFUSED|tmp/, 'no internals reach the client')
    t.same((await fileRows(app)).map((row) => row.id).sort(), before.rows)
  })

  t.test('an upload aborted mid-stream leaves no temporary file, no object and no row', async (t) => {
    // Over one S3 part (5 MiB), so that on S3 it is a multipart upload when it is cut off.
    const app = await build(t, { env: { ...backend.env, ...backend.isolated('aborted-uploads'), MAX_UPLOAD_BYTES: String(16 * 1024 * 1024) } })
    const alice = await createUser(app)
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo

    const { payload, headers } = multipartBody([{ name: 'file', filename: 'big.pdf', content: pdfBytes(12 * 1024 * 1024) }])
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/files',
      headers: { ...alice.headers, ...headers, 'content-length': String(payload.length) }
    })
    request.on('error', () => {})
    request.write(payload.subarray(0, 7 * 1024 * 1024))

    // Wait until the bytes have started reaching the store, then drop the connection.
    await waitUntil(async () => await backend.receiving(app))
    t.ok(await backend.receiving(app), 'the upload was being streamed to the store')
    request.destroy()

    await waitUntil(async () => await backend.cancelled(app))
    t.ok(await backend.cancelled(app), 'the store let go of the upload (temporary file removed, multipart upload aborted)')
    await waitUntil(async () => (await backend.paths(app)).length === 0)
    t.same(await backend.paths(app), [], 'nothing is stored')
    t.same(await fileRows(app), [])

    // The server is still healthy afterwards.
    const after = await upload(app, alice, pdfBytes())
    t.equal(after.statusCode, 201)
  })
})
