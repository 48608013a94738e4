import { readFile } from 'node:fs/promises'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import t from 'tap'

interface Media { schema?: object, example?: unknown, examples?: Record<string, { value?: unknown }> }
interface Response { description?: string, content?: Record<string, Media> }
interface Operation {
  requestBody?: { content: Record<string, Media> }
  responses: Record<string, Response>
  'x-error-codes'?: Record<string, string[]>
}

// The committed document is the one the app serves (openapi.test.ts checks it), so it is read, not built.
const document = JSON.parse(await readFile(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>
  components: object
}
const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats.default(ajv)

/** A media schema, compiled with the document's components so its `#/components/…` references resolve. */
function validatorOf (schema: object) {
  return ajv.compile({ ...schema, components: document.components })
}

function examplesOf (media: Media): Array<[string, unknown]> {
  return [
    ...(media.example === undefined ? [] : [['example', media.example] as [string, unknown]]),
    ...Object.entries(media.examples ?? {}).map(([name, { value }]): [string, unknown] => [name, value])
  ]
}

const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ where: `${method.toUpperCase()} ${path}`, operation })))

t.test('every example validates against its own schema', async (t) => {
  for (const { where, operation } of operations) {
    const media = [
      ...Object.entries(operation.requestBody?.content ?? {}).map(([type, m]) => [`request ${type}`, m] as const),
      ...Object.entries(operation.responses).flatMap(([status, r]) =>
        Object.entries(r.content ?? {}).map(([type, m]) => [`${status} ${type}`, m] as const))
    ]
    for (const [what, { schema, ...rest }] of media) {
      if (schema === undefined) continue
      const validate = validatorOf(schema)
      for (const [name, value] of examplesOf(rest)) {
        t.ok(validate(value), `${where} ${what} example ${name} is valid`, { errors: validate.errors })
      }
    }
  }
})

t.test('every JSON request body comes with an example', async (t) => {
  for (const { where, operation } of operations) {
    const json = operation.requestBody?.content['application/json']
    if (json !== undefined) t.ok(examplesOf(json).length > 0, `${where} has a request example`)
  }
})

t.test('every error is problem+json with one example per code, at its own status', async (t) => {
  for (const { where, operation } of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      t.not(response.description, 'Default Response', `${where} ${status} has a real description`)
      t.ok((response.description ?? '').length > 0, `${where} ${status} has a description`)
      if (Number(status) < 400) continue
      // A page a browser asked for (the emailed verification link) may stand beside the problem.
      t.same(Object.keys(response.content ?? {}).filter((type) => type !== 'text/html'), ['application/problem+json'], `${where} ${status} is problem+json`)
      const codes = operation['x-error-codes']?.[status] ?? []
      t.ok(codes.length > 0, `${where} ${status} names its codes`)
      const examples = response.content?.['application/problem+json']?.examples ?? {}
      t.same(Object.keys(examples).sort(), [...codes].sort(), `${where} ${status} has an example for each code`)
      for (const [name, { value }] of Object.entries(examples)) {
        t.match(value, { status: Number(status), code: name }, `${where} ${status} example ${name} shows its status and code`)
      }
      for (const code of codes) t.match(response.description, code, `${where} ${status} names ${code} in its description`)
    }
  }
})

t.test('POST /api/token says 401 means INVALID_CREDENTIALS', async (t) => {
  const responses = document.paths['/api/token']?.post?.responses
  t.match(responses?.['401']?.description, /INVALID_CREDENTIALS/)
  t.notMatch(responses?.['401']?.description, /UNAUTHENTICATED/)
})
