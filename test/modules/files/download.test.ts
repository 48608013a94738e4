import t from 'tap'
import { build, createFile, createUser, pdfBytes } from '../../helpers/index.js'
import { eachBackend, sha256 } from './support.js'

eachBackend(t, async (t, backend) => {
  // One app and database for the file: these tests only read what they upload themselves.
  const app = await build(t, { env: { ...backend.env, MAX_UPLOAD_BYTES: String(4 * 1024 * 1024) } })

  t.test('a download streams the bytes with the headers a browser needs', async (t) => {
    const alice = await createUser(app)
    const bob = await createUser(app)
    const { file, content } = await createFile(app, alice, { size: 3000 })
    const renamed = await app.inject({ method: 'PATCH', url: `/api/files/${file.id}`, headers: alice.headers, payload: { filename: 'The "Best" Book.pdf' } })
    t.equal(renamed.statusCode, 200)

    for (const url of [`/api/files/${file.id}/download`, `/api/download/${file.id}`]) {
      const response = await app.inject({ url, headers: bob.headers })
      t.equal(response.statusCode, 200, url)
      t.ok(response.rawPayload.equals(content), 'any authenticated user downloads a shared file')
      t.equal(response.headers['content-type'], 'application/pdf')
      t.equal(response.headers['content-length'], '3000')
      t.equal(response.headers.etag, `"${sha256(content)}"`)
      t.equal(response.headers['accept-ranges'], 'bytes')
      t.equal(response.headers['x-content-type-options'], 'nosniff')
      t.equal(response.headers['content-disposition'], 'attachment; filename="The \\"Best\\" Book.pdf"')
    }
  })

  t.test('non-ASCII names get an RFC 8187 filename* and an ASCII fallback', async (t) => {
    const alice = await createUser(app)
    const { file } = await createFile(app, alice, { filename: 'Résumé 日本.pdf' })
    const response = await app.inject({ url: file.downloadUrl, headers: alice.headers })
    t.equal(response.headers['content-disposition'], 'attachment; filename="R?sum? ??.pdf"; filename*=UTF-8\'\'R%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC.pdf')

    const { file: plain } = await createFile(app, alice, { filename: 'report.pdf' })
    const plainResponse = await app.inject({ url: plain.downloadUrl, headers: alice.headers })
    t.equal(plainResponse.headers['content-disposition'], 'attachment; filename="report.pdf"', 'a plain name is quoted too')
  })

  t.test('downloads need a token; unknown files are 404', async (t) => {
    const alice = await createUser(app)
    const { file } = await createFile(app, alice)
    t.equal((await app.inject({ url: file.downloadUrl })).statusCode, 401)
    t.equal((await app.inject({ url: `/api/download/${file.id}` })).statusCode, 401)
    const missing = await app.inject({ url: '/api/files/999999/download', headers: alice.headers })
    t.equal(missing.statusCode, 404)
    t.match(missing.json(), { code: 'NOT_FOUND' })
    t.equal((await app.inject({ url: '/api/download/abc', headers: alice.headers })).statusCode, 400)
  })

  t.test('If-None-Match with the current ETag is 304 without a body', async (t) => {
    const alice = await createUser(app)
    const { file } = await createFile(app, alice)
    const etag = `"${file.sha256}"`
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await app.inject({ url: file.downloadUrl, headers: { ...alice.headers, 'if-none-match': header } })
      t.equal(response.statusCode, 304, header)
      t.equal(response.body, '')
      t.equal(response.headers.etag, etag)
    }
    const stale = await app.inject({ url: file.downloadUrl, headers: { ...alice.headers, 'if-none-match': '"0000"' } })
    t.equal(stale.statusCode, 200)
  })

  t.test('a single Range is 206 with Content-Range', async (t) => {
    const alice = await createUser(app)
    const { file, content } = await createFile(app, alice, { size: 1000 })
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, 999],
      ['bytes=-10', 990, 999],
      ['bytes=990-5000', 990, 999],
      ['bytes=-5000', 0, 999],
      ['bytes=999-999', 999, 999]
    ]
    for (const [range, start, end] of cases) {
      const response = await app.inject({ url: file.downloadUrl, headers: { ...alice.headers, range } })
      t.equal(response.statusCode, 206, range)
      t.equal(response.headers['content-range'], `bytes ${start}-${end}/1000`, range)
      t.equal(response.headers['content-length'], String(end - start + 1), range)
      t.ok(response.rawPayload.equals(content.subarray(start, end + 1)), range)
      t.equal(response.headers['content-type'], 'application/pdf')
    }
  })

  t.test('an unsatisfiable or malformed byte range is 416 with Content-Range: bytes */size', async (t) => {
    const alice = await createUser(app)
    const { file } = await createFile(app, alice, { size: 1000 })
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0', 'bytes=20-10', 'bytes=abc', 'bytes=-', 'bytes=1-2-3', 'nonsense']) {
      const response = await app.inject({ url: file.downloadUrl, headers: { ...alice.headers, range } })
      t.equal(response.statusCode, 416, range)
      t.equal(response.headers['content-range'], 'bytes */1000', range)
      t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(response.json(), { status: 416, code: 'RANGE_NOT_SATISFIABLE' })
    }
  })

  t.test('several ranges, another unit or a stale If-Range get the whole file', async (t) => {
    const alice = await createUser(app)
    const { file, content } = await createFile(app, alice, { size: 500 })
    const etag = `"${file.sha256}"`
    const whole: Array<Record<string, string>> = [
      { range: 'bytes=0-9, 20-29' },
      { range: 'items=0-1' },
      { range: 'bytes=0-9', 'if-range': '"stale"' },
      { range: 'bytes=0-9', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' }
    ]
    for (const headers of whole) {
      const response = await app.inject({ url: file.downloadUrl, headers: { ...alice.headers, ...headers } })
      t.equal(response.statusCode, 200, JSON.stringify(headers))
      t.ok(response.rawPayload.equals(content))
    }
    const current = await app.inject({ url: file.downloadUrl, headers: { ...alice.headers, range: 'bytes=0-9', 'if-range': etag } })
    t.equal(current.statusCode, 206)
    t.ok(current.rawPayload.equals(content.subarray(0, 10)))
  })

  t.test('HEAD gives the headers of a download without the bytes', async (t) => {
    const alice = await createUser(app)
    const { file } = await createFile(app, alice, { size: 700 })
    const response = await app.inject({ method: 'HEAD', url: file.downloadUrl, headers: alice.headers })
    t.equal(response.statusCode, 200)
    t.equal(response.headers['content-length'], '700')
    t.equal(response.headers['content-type'], 'application/pdf')
    t.equal(response.rawPayload.length, 0)
  })

  t.test('a large file is streamed, not buffered into one chunk', async (t) => {
    const alice = await createUser(app)
    const content = pdfBytes(3 * 1024 * 1024)
    const { file } = await createFile(app, alice, { size: content.length })
    const response = await app.inject({ url: file.downloadUrl, headers: alice.headers, payloadAsStream: true })
    t.equal(response.statusCode, 200)
    let chunks = 0
    let total = 0
    for await (const chunk of response.stream()) {
      chunks++
      total += (chunk as Buffer).length
    }
    t.equal(total, content.length)
    t.ok(chunks > 1, `the body arrived in ${chunks} chunks`)
  })
})
