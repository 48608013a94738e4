import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { parse } from 'yaml'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url)
const read = (name: string) => readFileSync(new URL(name, root), 'utf8')

interface Service {
  image?: string
  build?: unknown
  restart?: string
  healthcheck?: { test: string[] }
  environment?: Record<string, string>
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
}

// YAML merge keys (`<<: *restart`) are resolved, as compose resolves them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>, volumes: Record<string, unknown> }

t.test('compose runs the built image beside MariaDB, Redis and an S3 store, each healthy before the API starts', async (t) => {
  const { api, mariadb, redis, minio } = compose.services
  t.ok(api?.build, 'the API is built from the Dockerfile, not a checkout mounted into node')
  t.match(mariadb?.image, /^mariadb:(10\.11|11\.\d+)$/, 'the engine the tests run on, pinned')
  for (const [name, service] of Object.entries({ mariadb, redis, minio, api })) {
    t.equal(service?.restart, 'unless-stopped', `${name} restarts`)
  }
  for (const [name, service] of Object.entries({ mariadb, redis, minio })) {
    t.ok(service?.healthcheck?.test.length, `${name} has a healthcheck`)
    t.equal(api?.depends_on?.[name]?.condition, 'service_healthy', `the API waits for ${name}`)
  }
  t.equal(api?.depends_on?.['create-bucket']?.condition, 'service_completed_successfully', 'and for its bucket')
  for (const volume of [...mariadb?.volumes ?? [], ...minio?.volumes ?? [], ...api?.volumes ?? []]) {
    t.ok(volume.split(':')[0]! in compose.volumes, `${volume} is a named volume`)
  }
  const env = api?.environment ?? {}
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'STORAGE', 'S3_BUCKET', 'S3_ENDPOINT', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE']) {
    t.ok(env[name], `the API gets ${name}`)
  }
  t.equal(env.STORAGE, 's3')
  t.match(env.JWT_SECRET, /^\$\{JWT_SECRET:\?/, 'no JWT_SECRET default: compose refuses to start without one')
})

t.test('the image: a build stage, production dependencies only, an unprivileged user, a probe on /ready', async (t) => {
  const dockerfile = read('Dockerfile')
  const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\w+)$/gm)].map(([, image, stage]) => ({ image, stage }))
  t.same(stages.map(({ stage }) => stage), ['build', 'runtime'])
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  t.match(runtime, /npm ci --omit=dev/)
  t.match(runtime, /COPY --from=build \/app\/dist \.\/dist/)
  t.match(runtime, /COPY drizzle \.\/drizzle/, 'migrations beside dist/, where dist/db/migrate.js looks')
  t.match(runtime, /^USER node$/m)
  t.match(runtime, /HEALTHCHECK[\s\S]*\/ready/)
  t.match(runtime, /^CMD \["node", "dist\/server\.js"\]$/m)
  t.notMatch(runtime, /curl|wget/, 'slim images have neither')
})

t.test('docker compose config accepts the file, where the compose plugin is installed', async (t) => {
  const available = await run('docker', ['compose', 'version']).then(() => true, () => false)
  if (!available) {
    t.pass('no docker compose here; the YAML checks above stand in')
    return
  }
  await run('docker', ['compose', 'config', '-q'], { cwd: root, env: { ...process.env, JWT_SECRET: 'x'.repeat(32) } })
  t.pass('docker compose config -q')
})
