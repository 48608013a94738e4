/**
 * Property-based fuzzing of every operation the app documents, generated at run time from its own
 * OpenAPI document (`GET /docs/json`): valid and invalid params, queries, headers and bodies (wrong
 * types, huge and unicode strings, nulls, arrays for objects, deep nesting, boundary numbers, unknown
 * properties), anonymously and with a verified user's and an admin's token. For every request:
 * no 5xx; every 4xx is problem+json of the contract's shape with a status the operation documents;
 * and a refused (4xx) request changes no row (row counts and CHECKSUM TABLE of every table).
 *
 * Reproduce a failure with the seed it prints: `FUZZ_SEED=<seed> npx tap test/outside/fuzz.test.ts`.
 * `FUZZ_RUNS` sets the runs per operation (default 16: about 1000 requests, 15–40 s).
 */
import { randomBytes } from 'node:crypto'
import { eq, inArray } from 'drizzle-orm'
import type { FastifyInstance, InjectOptions } from 'fastify'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { users } from '../../src/db/schema/index.js'
import { build, createUser, type TestUser } from '../helpers/index.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261122)
const runsPerOperation = Number(process.env.FUZZ_RUNS ?? 16)

interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  maxItems?: number
  pattern?: string
  format?: string
  examples?: unknown[]
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie'
  name: string
  required?: boolean
  schema?: JsonSchema
}

interface Operation {
  parameters?: Parameter[]
  requestBody?: { required?: boolean, content: Record<string, { schema: JsonSchema }> }
  responses: Record<string, unknown>
  security?: unknown[]
}

interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, { properties?: { code?: { enum?: string[] } } }> }
}

type Auth = 'none' | 'user' | 'admin' | 'garbage'

interface Case {
  auth: Auth
  path: Record<string, string>
  query: Array<[string, string]>
  headers: Record<string, string>
  body: { kind: 'none' } | { kind: 'json', value: unknown } | { kind: 'raw', contentType: string, payload: string }
}

// ---- arbitraries: values that are wrong in every way we could think of --------------------------

const hugeString = 'ä'.repeat(70_000)
const overBodyLimit = 'x'.repeat(1_100_000)
const deep = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value }
  return value
}
/** Text the database must store as sent (astral-plane, combining) or the API must refuse (controls). */
const astralStrings = ['Emoji 😀', '𠜎𠜱𠝹𠱓', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🦄📚']
const combiningStrings = ['e\u0301\u0301\u0301', 'Z\u0324\u0354\u0367\u0311ä\u0356\u032d', 'ก\u0e49\u0e49\u0e49']
const controlStrings = ['nul\u0000byte', 'bell\u0007', 'ansi \u001b[31mred', 'c1\u0085next', 'del\u007f']
const exoticStrings = [...astralStrings, ...combiningStrings, ...controlStrings]
const nastyStrings = [
  ...exoticStrings,
  '', ' ', '\u0000', '\u202e\u0645\u0631\u062d\u0628\u0627', '👩‍👩‍👧‍👦📚', 'Ω≈ç√∫', '\uD800', "' OR 1=1 --", '"; DROP TABLE books; --',
  '<script>alert(1)</script>', '../../../../etc/passwd', '%00', '%', '%zz', '\\', '$' + '{7*7}', '{{7*7}}', 'null', 'true', '-0', '1e309',
  'NaN', 'Infinity', '-Infinity', '0x10', '  42  ', '9'.repeat(40), '2025-02-30', '0000-00-00', '9999-99-99T99:99:99Z', '2025-01-31T25:00:00+99:99'
]
const boundaryNumbers = [0, -0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324, 0.5, 3.14159]

const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...nastyStrings),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 200, maxLength: 600 }),
  fc.constant(hugeString)
)

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  nastyString,
  fc.constantFrom(...boundaryNumbers),
  fc.double(),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.integer({ min: 2, max: 3000 }).map((depth) => deep(depth))
)

const unknownProperty = fc.oneof(
  fc.constantFrom('role', 'emailVerified', 'ownerId', 'id', 'availableCopies', 'isAdmin', '__proto__', 'constructor', 'tokenVersion', 'passwordHash'),
  fc.string({ minLength: 1, maxLength: 12 })
)

/** A value the schema accepts (or nearly: bounds hold, semantic rules like ISBN checksums may not). */
function validValue (schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const)
  // The document's own examples are valid where generation cannot be (an ISBN's check digit).
  if (Array.isArray(schema.examples) && schema.examples.length > 0) {
    return fc.oneof(fc.constantFrom(...schema.examples), validValue({ ...schema, examples: undefined }, depth))
  }
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum)
  const variants = schema.anyOf ?? schema.oneOf
  if (variants !== undefined) return fc.oneof(...variants.map((variant) => validValue(variant, depth)))
  const type = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'string']
  return fc.oneof(...type.map((single) => validOfType(single, schema, depth)))
}

function validOfType (type: string, schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null': return fc.constant(null)
    case 'boolean': return fc.boolean()
    case 'integer': {
      const min = Math.max(schema.minimum ?? -1e6, Number.MIN_SAFE_INTEGER)
      const max = Math.min(schema.maximum ?? 1e6, Number.MAX_SAFE_INTEGER)
      // Small values hit real rows; the bounds themselves are the interesting edges.
      return fc.oneof(fc.integer({ min: Math.max(min, 1), max: Math.max(Math.min(max, 8), Math.max(min, 1)) }), fc.constantFrom(min, max), fc.integer({ min, max }))
    }
    case 'number': return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true })
    case 'array': return fc.array(validValue(schema.items ?? {}, depth + 1), { maxLength: Math.min(schema.maxItems ?? 3, 3) })
    case 'object': {
      const properties = schema.properties ?? {}
      const record = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, validValue(value, depth + 1)]))
      return fc.record(record, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) })
    }
    default: return validString(schema)
  }
}

function validString (schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.min(schema.maxLength ?? 60, 60)
  const fits = (value: string) => value.length >= minLength && value.length <= (schema.maxLength ?? Infinity)
  switch (schema.format) {
    case 'email': return fc.oneof(fc.emailAddress().filter(fits), fc.constantFrom('fuzz-user@example.com', 'fuzz-admin@example.com'))
    case 'date': return fc.date({ min: new Date('1000-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10))
    case 'date-time': return fc.date({ min: new Date('1970-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }).map((date) => date.toISOString())
    case 'binary': return fc.constant('%PDF-1.7\n')
  }
  // Astral-plane and combining characters wherever the schema allows them.
  const exotic = [...astralStrings, ...combiningStrings].filter((value) => fits(value) && matchesPattern(schema.pattern, value))
  const plain = plainString(schema, fits, minLength, maxLength)
  return exotic.length === 0 ? plain : fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom(...exotic) })
}

function matchesPattern (pattern: string | undefined, value: string): boolean {
  if (pattern === undefined) return true
  try {
    return new RegExp(pattern, 'u').test(value)
  } catch {
    return false
  }
}

function plainString (schema: JsonSchema, fits: (value: string) => boolean, minLength: number, maxLength: number): fc.Arbitrary<string> {
  if (schema.pattern !== undefined) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
    } catch {
      // A pattern fast-check cannot generate from falls through to plain strings.
    }
  }
  return fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, maxLength) })
}

/** A value that is valid, or wrong in one place: a property replaced, removed or added, or the whole of it. */
function fuzzedValue (schema: JsonSchema): fc.Arbitrary<unknown> {
  const valid = validValue(schema)
  const isObject = schema.type === 'object' && schema.properties !== undefined
  const mutated = isObject
    ? fc.oneof(
      fc.tuple(valid, fc.constantFrom(...Object.keys(schema.properties ?? {})), nastyValue).map(([value, key, bad]) => ({ ...(value as object), [key]: bad })),
      fc.tuple(valid, fc.constantFrom(...Object.keys(schema.properties ?? {}))).map(([value, key]) => {
        const copy: Record<string, unknown> = { ...(value as object) }
        delete copy[key]
        return copy
      }),
      fc.tuple(valid, unknownProperty, fc.jsonValue({ maxDepth: 1 })).map(([value, key, extra]) => {
        const copy: Record<string, unknown> = { ...(value as object) }
        Object.defineProperty(copy, key, { value: extra, enumerable: true, writable: true, configurable: true })
        return copy
      }),
      fc.tuple(valid).map(([value]) => [value])
    )
    : nastyValue
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: nastyValue })
}

function parameterValue (parameter: Parameter): fc.Arbitrary<string> {
  const schema = parameter.schema ?? {}
  const valid = validValue(schema).map((value) => String(value))
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 2, arbitrary: nastyString.filter((value) => value.length > 0) }, { weight: 1, arbitrary: fc.constantFrom(...boundaryNumbers).map(String) })
}

const multipartInvalid = (() => {
  const boundary = '----fuzz'
  const part = (headers: string, content: string) => `--${boundary}\r\n${headers}\r\n\r\n${content}\r\n`
  const type = `multipart/form-data; boundary=${boundary}`
  return [
    { contentType: type, payload: `${part('Content-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf', 'not a pdf at all')}--${boundary}--\r\n` },
    { contentType: type, payload: `${part('Content-Disposition: form-data; name="file"; filename="empty.pdf"', '')}--${boundary}--\r\n` },
    { contentType: type, payload: `${part('Content-Disposition: form-data; name="bookId"', 'abc')}--${boundary}--\r\n` },
    { contentType: type, payload: `${part('Content-Disposition: form-data; name="other"', '1')}--${boundary}--\r\n` },
    { contentType: type, payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.pdf"\r\n\r\n%PDF-1.7 and then the body stops` },
    { contentType: 'multipart/form-data', payload: 'no boundary' },
    { contentType: `multipart/form-data; boundary=${boundary}`, payload: '' },
    { contentType: 'application/pdf', payload: '%PDF-1.7\n' },
    { contentType: 'application/json', payload: '{"file":"%PDF-1.7"}' }
  ]
})()

function bodyArbitrary (operation: Operation): fc.Arbitrary<Case['body']> {
  const content = operation.requestBody?.content ?? {}
  if (content['multipart/form-data'] !== undefined) {
    return fc.constantFrom(...multipartInvalid).map((raw) => ({ kind: 'raw' as const, ...raw }))
  }
  const json = content['application/json']
  if (json === undefined) {
    return fc.oneof({ weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) }, { weight: 1, arbitrary: nastyValue.map((value) => ({ kind: 'json' as const, value })) })
  }
  return fc.oneof(
    { weight: 8, arbitrary: fuzzedValue(json.schema).map((value) => ({ kind: 'json' as const, value })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        { kind: 'none' as const },
        { kind: 'raw' as const, contentType: 'application/json', payload: '{"email": "a@b.c", ' },
        { kind: 'raw' as const, contentType: 'application/json', payload: '{"__proto__": {"role": "admin"}, "constructor": {"prototype": {"x": 1}}}' },
        { kind: 'raw' as const, contentType: 'text/plain', payload: 'hello' },
        { kind: 'raw' as const, contentType: 'application/x-www-form-urlencoded', payload: 'email=a%40b.c&password=x' },
        { kind: 'raw' as const, contentType: 'application/json', payload: overBodyLimit },
        { kind: 'raw' as const, contentType: 'application/json; charset=utf-16', payload: '{}' }
      )
    }
  )
}

function caseArbitrary (operation: Operation): fc.Arbitrary<Case> {
  const parameters = operation.parameters ?? []
  const pathParams = parameters.filter((parameter) => parameter.in === 'path')
  const queryParams = parameters.filter((parameter) => parameter.in === 'query')
  const headerParams = parameters.filter((parameter) => parameter.in === 'header')
  const path = fc.record(Object.fromEntries(pathParams.map((parameter) => [parameter.name, parameterValue(parameter)])))
  const query = fc.tuple(
    fc.subarray(queryParams).chain((chosen) => fc.tuple(...chosen.map((parameter) => parameterValue(parameter).map((value) => [parameter.name, value] as [string, string])))),
    // A repeated or unknown key now and then.
    fc.option(fc.tuple(fc.oneof(fc.constantFrom(...queryParams.map((parameter) => parameter.name), 'page'), fc.string({ minLength: 1, maxLength: 10 })), nastyString), { freq: 4 })
  ).map(([pairs, extra]) => extra === null ? pairs : [...pairs, extra])
  const headers = fc.subarray(headerParams).chain((chosen) => fc.tuple(...chosen.map((parameter) => parameterValue(parameter).map((value) => [parameter.name, value] as const))))
    .map((pairs) => Object.fromEntries(pairs.filter(([, value]) => /^[\t\x20-\x7e]*$/.test(value))))
  const secured = (operation.security ?? []).length > 0
  const auth = secured
    ? fc.constantFrom<Auth>('user', 'user', 'admin', 'admin', 'none', 'garbage')
    : fc.constantFrom<Auth>('none', 'none', 'user', 'admin')
  return fc.record({ auth, path, query, headers, body: bodyArbitrary(operation) })
}

// ---- the database's state, to prove refused requests change nothing -------------------------------

async function tableNames (app: FastifyInstance): Promise<string[]> {
  const [rows] = await app.pool.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '%drizzle%' ORDER BY table_name")
  return (rows as Array<{ name: string }>).map((row) => row.name)
}

/** The outbox's sender updates rows in the background (pending → sent), so only its row count is compared. */
const countedOnly = new Set(['email_outbox'])

async function snapshot (app: FastifyInstance, tables: string[]): Promise<Record<string, string>> {
  const ids = tables.filter((table) => !countedOnly.has(table)).map((table) => `\`${table}\``).join(', ')
  const [sums] = await app.pool.query(`CHECKSUM TABLE ${ids}`)
  const [counts] = await app.pool.query(tables.map((table) => `SELECT '${table}' AS name, COUNT(*) AS n FROM \`${table}\``).join(' UNION ALL '))
  const state: Record<string, string> = {}
  for (const row of counts as Array<{ name: string, n: number }>) state[row.name] = `rows=${row.n}`
  for (const row of sums as Array<{ Table: string, Checksum: number | string | null }>) {
    const name = row.Table.split('.').pop() ?? row.Table
    state[name] = `${state[name] ?? ''} checksum=${String(row.Checksum)}`
  }
  return state
}

/** A refused request that carries an Idempotency-Key keeps its answer for a retry (README "Idempotency"). */
const keptAnswers = 'idempotency_keys'

/**
 * Refused requests that legitimately write: a wrong change-password code counts an attempt, and a
 * refused login counts against its (account, IP) pair, before the password is even checked.
 */
const writesWhenRefused: Record<string, string[]> = {
  'POST /api/change-password': ['email_tokens'],
  'POST /api/token': ['login_failures'],
  'POST /api/login': ['login_failures'],
  'POST /api/user/login': ['login_failures']
}

// ---- the test ---------------------------------------------------------------------------------

t.test('every documented operation survives fuzzing: no 5xx, problem+json 4xx, refused requests change nothing', async (t) => {
  const app = await build(t, {
    env: { RATE_LIMIT_MAX: '1000000', AUTH_RATE_LIMIT_MAX: '1000000', BORROW_RATE_LIMIT_PER_HOUR: '1000000', MAX_OPEN_BORROWS: '50' }
  })
  const document = (await app.inject('/docs/json')).json<Document>()
  const codes = new Set(document.components.schemas.Problem?.properties?.code?.enum ?? [])
  t.ok(codes.size > 10, 'the Problem schema lists the codes')

  const user = await createUser(app, { email: 'fuzz-user@example.com', username: 'fuzz_user' })
  const admin = await createUser(app, { role: 'admin', email: 'fuzz-admin@example.com', username: 'fuzz_admin' })
  await seedFixtures(t, app, user, admin)
  const tables = await tableNames(app)
  t.ok(tables.includes('books') && tables.includes('borrows'), `checksummed tables: ${tables.join(', ')}`)

  /** Fresh tokens for each request: a fuzzed logout or logout-all must not blind the rest of the run. */
  async function tokenFor (auth: Auth): Promise<string | undefined> {
    if (auth === 'none') return undefined
    if (auth === 'garbage') return `Bearer ${randomBytes(24).toString('base64url')}.e30.x`
    const who = auth === 'user' ? user : admin
    const [row] = await app.db.select({ tokenVersion: users.tokenVersion }).from(users).where(eq(users.id, who.id))
    return `Bearer ${app.tokens.sign('access', { userId: who.id, tokenVersion: row?.tokenVersion ?? 0 }).token}`
  }

  const operations = Object.entries(document.paths)
    .filter(([path]) => !path.startsWith('/docs'))
    .flatMap(([path, methods]) => Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })))
  t.ok(operations.length >= 60, `${operations.length} operations`)

  let requests = 0
  /** The state after the last refused request, which is the state before the next one. */
  let current: Record<string, string> | undefined
  const statuses = new Map<number, number>()
  for (const [index, { path, method, operation }] of operations.entries()) {
    const key = `${method} ${path}`
    const declared = new Set(Object.keys(operation.responses))
    const mayWrite = new Set(writesWhenRefused[key] ?? [])
    const files = (operation.requestBody?.content ?? {})['multipart/form-data'] !== undefined
    let failure = ''
    const seen = new Map<number, number>()
    const property = fc.asyncProperty(caseArbitrary(operation), async (fuzzCase) => {
      const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => encodePathSegment(fuzzCase.path[name] ?? ''))
      const search = new URLSearchParams(fuzzCase.query).toString() // lone surrogates become U+FFFD
      const authorization = await tokenFor(fuzzCase.auth)
      const headers: Record<string, string> = { ...fuzzCase.headers, ...(authorization === undefined ? {} : { authorization }) }
      const request: InjectOptions = { method: method as InjectOptions['method'], url: search === '' ? url : `${url}?${search}`, headers }
      if (fuzzCase.body.kind === 'json') {
        request.payload = JSON.stringify(fuzzCase.body.value) ?? 'null'
        headers['content-type'] = 'application/json'
      } else if (fuzzCase.body.kind === 'raw') {
        request.payload = fuzzCase.body.payload
        headers['content-type'] = fuzzCase.body.contentType
      }

      const before = current ?? await snapshot(app, tables)
      current = undefined
      const response = await app.inject(request)
      requests++
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
      seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
      const where = `${method} ${request.url?.toString().slice(0, 300)} as ${fuzzCase.auth}, body ${String(request.payload ?? '').slice(0, 300)} → ${response.statusCode} ${response.body.slice(0, 300)}`
      const fail = (message: string) => {
        failure = message
        return new Error(message)
      }
      if (response.statusCode >= 500) throw fail(`5xx: ${where}`)
      // The router itself may answer 404/405 (a param that changes the route matched) or 414 (a path
      // param over maxParamLength).
      if (!declared.has(String(response.statusCode)) && ![404, 405, 414].includes(response.statusCode)) {
        throw fail(`undocumented status: ${where}`)
      }
      if (response.statusCode < 400) return // state may have changed: the next request takes a new snapshot
      if (!/^application\/problem\+json/.test(String(response.headers['content-type']))) throw fail(`not problem+json: ${where}`)
      const problem = response.json<Record<string, unknown>>()
      const shapeErrors = problemShapeErrors(problem, response.statusCode, codes)
      if (shapeErrors.length > 0) throw fail(`problem shape (${shapeErrors.join('; ')}): ${where}`)
      const after = await snapshot(app, tables)
      current = after
      const keyed = headers['idempotency-key'] !== undefined
      const changed = tables.filter((table) => before[table] !== after[table] && !mayWrite.has(table) && !(keyed && table === keptAnswers))
      if (changed.length > 0) {
        throw fail(`a refused request changed ${changed.map((table) => `${table} (${before[table]} → ${after[table]})`).join(', ')}: ${where}`)
      }
    })
    const numRuns = files ? Math.max(4, Math.round(runsPerOperation / 2)) : runsPerOperation
    try {
      // No shrinking: each request changes the database, so a shrunk replay would not be the same run.
      // Each operation its own seed, derived from the one printed, so their sequences differ.
      await fc.assert(property, { seed: seed + index, numRuns, endOnFailure: true })
      t.pass(`${key}: ${numRuns} runs, ${[...seen].sort(([a], [b]) => a - b).map(([status, count]) => `${count}×${status}`).join(' ')}`)
    } catch (error) {
      const replay = /seed: -?\d+, path: "[^"]*"/.exec((error as Error).message)?.[0] ?? `seed: ${seed}`
      t.fail(`${key} — ${failure.length > 0 ? failure : (error as Error).message.slice(0, 2000)} (fast-check ${replay}; replay with FUZZ_SEED=${seed})`)
    }
  }
  await sweepTextFields(t, app, operations, tokenFor)
  // The oracle itself: a write it must see.
  const baseline = await snapshot(app, tables)
  await app.pool.query('UPDATE users SET username = ? WHERE id = ?', ['fuzz_oracle', user.id])
  const touched = await snapshot(app, tables)
  t.not(touched.users, baseline.users, 'the snapshot notices a changed row')
  t.same({ ...touched, users: '' }, { ...baseline, users: '' }, 'and only in the table that changed')
  t.comment(`${requests} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`)
})

const oneLineFields = new Set(['title', 'name', 'author', 'genre', 'nationality'])

function acceptsString (schema: JsonSchema): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const plain = types.includes('string') && schema.format === undefined && schema.enum === undefined
  return plain || (schema.anyOf ?? schema.oneOf ?? []).some(acceptsString)
}

/**
 * Every text property of every JSON body, given each astral-plane, combining and control-character
 * string in an otherwise valid body: never a 5xx, and a control character in a name or title is a 4xx.
 */
async function sweepTextFields (t: Test, app: FastifyInstance, operations: Array<{ path: string, method: string, operation: Operation }>, tokenFor: (auth: Auth) => Promise<string | undefined>) {
  const failures: string[] = []
  let requests = 0
  for (const [index, { path, method, operation }] of operations.entries()) {
    const schema = operation.requestBody?.content['application/json']?.schema
    const fields = Object.entries(schema?.properties ?? {}).filter(([, property]) => acceptsString(property)).map(([key]) => key)
    if (schema === undefined || fields.length === 0) continue
    const [base] = fc.sample(validValue(schema), { seed: seed + index, numRuns: 1 })
    const url = path.replace(/\{\w+\}/g, '1')
    for (const field of fields) {
      for (const text of exoticStrings) {
        const authorization = await tokenFor('admin') ?? ''
        const payload = JSON.stringify({ ...(base as object), [field]: text })
        const response = await app.inject({ method: method as InjectOptions['method'], url, headers: { authorization, 'content-type': 'application/json' }, payload })
        requests++
        const where = `${method} ${url} ${field}=${JSON.stringify(text)} → ${response.statusCode} ${response.body.slice(0, 200)}`
        if (response.statusCode >= 500) failures.push(`5xx: ${where}`)
        if (response.statusCode < 400 && controlStrings.includes(text) && oneLineFields.has(field)) failures.push(`control character accepted: ${where}`)
        if (response.statusCode >= 400 && !/^application\/problem\+json/.test(String(response.headers['content-type']))) failures.push(`not problem+json: ${where}`)
      }
    }
  }
  t.same(failures, [], `every text field survives astral-plane, combining and control-character strings (${requests} requests)`)
}

/** Percent-encodes a segment; a lone surrogate (not UTF-8 at all) goes out as the invalid bytes it would be. */
function encodePathSegment (value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return '%ED%A0%80'
  }
}

function problemShapeErrors (problem: Record<string, unknown>, status: number, codes: Set<string>): string[] {
  const errors: string[] = []
  const allowed = new Set(['type', 'title', 'status', 'detail', 'code', 'errors'])
  for (const key of Object.keys(problem)) if (!allowed.has(key)) errors.push(`unexpected key ${key}`)
  if (typeof problem.type !== 'string' || problem.type.length === 0) errors.push('type')
  if (typeof problem.title !== 'string') errors.push('title')
  if (problem.status !== status) errors.push(`status ${String(problem.status)} ≠ ${status}`)
  if (typeof problem.detail !== 'string') errors.push('detail')
  if (typeof problem.code !== 'string' || !codes.has(problem.code)) errors.push(`code ${String(problem.code)}`)
  if (problem.errors !== undefined) {
    const list = problem.errors
    if (!Array.isArray(list) || !list.every((item: unknown) => typeof item === 'object' && item !== null && typeof (item as Record<string, unknown>).path === 'string' && typeof (item as Record<string, unknown>).message === 'string')) {
      errors.push('errors')
    }
  }
  if (/ER_[A-Z_]{3,}|Duplicate entry|SQL syntax|sqlMessage|\.(ts|js):\d+:\d+|node_modules/.test(JSON.stringify(problem))) errors.push('internals leaked')
  return errors
}

/** Rows for ids 1…n to point at: books of each user, an author, a review, borrows, a favourite, a file. */
async function seedFixtures (t: Test, app: FastifyInstance, user: TestUser, admin: TestUser) {
  const call = async (who: TestUser, method: InjectOptions['method'], url: string, payload?: object) => {
    const response = await app.inject({ method, url, headers: who.headers, ...(payload === undefined ? {} : { payload }) })
    if (response.statusCode >= 300) throw new Error(`fixture ${method} ${url} answered ${response.statusCode}: ${response.body}`)
    return response.json<{ id: number }>()
  }
  const author = await call(admin, 'POST', '/api/authors', { name: 'Octavia E. Butler', nationality: 'American' })
  const isbns = ['9780306406157', '9780441478125', '9780060512750', '9780553293357']
  const bookIds: number[] = []
  for (const [index, isbn] of isbns.entries()) {
    const owner = index % 2 === 0 ? user : admin
    bookIds.push((await call(owner, 'POST', '/api/books', { title: `Fixture ${index}`, isbn, publicationYear: 1990 + index, genre: index < 2 ? 'Science fiction' : 'Fantasy', authorId: author.id, totalCopies: 3 })).id)
  }
  const [first, second, third] = bookIds as [number, number, number, number]
  await call(user, 'POST', '/api/book/review', { bookId: second, rating: 4, comment: 'fixture' })
  await call(admin, 'POST', '/api/book/review', { bookId: first, rating: 2 })
  await call(user, 'POST', '/api/borrows', { bookId: second })
  await call(admin, 'POST', '/api/borrows', { bookId: first })
  const returned = await call(user, 'POST', '/api/borrows', { bookId: third })
  await call(user, 'POST', `/api/borrows/${returned.id}/return`)
  await call(user, 'POST', `/api/favorites/${first}`)
  await call(admin, 'POST', `/api/favorites/${second}`)
  for (const who of [user, admin]) {
    const boundary = `----fixture${randomBytes(4).toString('hex')}`
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="fixture.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\nfixture\r\n--${boundary}--\r\n`
    const response = await app.inject({ method: 'POST', url: '/api/files', payload, headers: { ...who.headers, 'content-type': `multipart/form-data; boundary=${boundary}` } })
    t.equal(response.statusCode, 201, 'fixture file uploaded')
  }
  const rows = await app.db.select({ id: users.id }).from(users).where(inArray(users.id, [user.id, admin.id]))
  t.equal(rows.length, 2, 'fixture users exist')
}
