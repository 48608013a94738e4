import { builtinModules } from 'node:module'
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build, isStale, stampName } from '../../scripts/build.js'

/** A project of one source file whose times the test sets, so no test waits for the clock. */
function project (dir: string, at: Date) {
  mkdirSync(join(dir, 'src', 'lib'), { recursive: true })
  mkdirSync(join(dir, 'dist'), { recursive: true })
  for (const file of ['package.json', 'src/server.ts', 'src/lib/a.ts']) writeFileSync(join(dir, file), '{}')
  for (const path of ['package.json', 'src/server.ts', 'src/lib/a.ts', 'src/lib', 'src']) utimesSync(join(dir, path), at, at)
}

function stamp (dir: string, at: Date) {
  writeFileSync(join(dir, 'dist', stampName), '')
  utimesSync(join(dir, 'dist', stampName), at, at)
}

const before = new Date('2026-01-01T00:00:00Z')
const after = new Date('2026-01-01T00:01:00Z')

t.test('prestart builds only when something the build reads changed since the last build', async (t) => {
  const dir = t.testdir()
  project(dir, before)
  t.equal(isStale(dir), true, 'never built')
  stamp(dir, after)
  t.equal(isStale(dir), false, 'built after the last change: start at once')

  utimesSync(join(dir, 'src/lib/a.ts'), new Date('2026-01-01T00:02:00Z'), new Date('2026-01-01T00:02:00Z'))
  t.equal(isStale(dir), true, 'a nested source edited since')

  project(dir, before)
  rmSync(join(dir, 'src/lib/a.ts'))
  t.equal(isStale(dir), true, 'a source deleted since (its directory changed)')

  project(dir, before)
  utimesSync(join(dir, 'package.json'), new Date('2026-01-01T00:02:00Z'), new Date('2026-01-01T00:02:00Z'))
  t.equal(isStale(dir), true, 'package.json changed since')
})

t.test('a runtime image with dist/ and no sources never builds', async (t) => {
  const dir = t.testdir({ dist: { [stampName]: '' } })
  t.equal(isStale(dir), false)
})

t.test('the build transpiles every source and a deleted one leaves nothing behind', async (t) => {
  const dir = t.testdir({
    'package.json': JSON.stringify({ type: 'module' }),
    src: { 'server.ts': 'const port: number = 1\nexport default port\n', cli: { 'tool.ts': 'export type X = string\n' } },
    dist: { 'stale.js': 'old output' }
  })
  t.equal(await build(dir), 2)
  t.same(readdirSync(join(dir, 'dist')).sort(), [stampName, 'cli', 'server.js', 'server.js.map'])
  t.match(readFileSync(join(dir, 'dist/server.js'), 'utf8'), /const port = 1/)
  t.equal(isStale(dir), false, 'fresh right after')
})

t.test('the built server imports production dependencies only, so `npm ci --omit=dev` can run it', async (t) => {
  if (isStale()) await build()
  const root = new URL('../../', import.meta.url)
  const { dependencies } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { dependencies: Record<string, string> }
  const files = readdirSync(new URL('dist', root), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'))
  const packages = new Set<string>()
  for (const file of files) {
    const code = readFileSync(new URL(`dist/${file}`, root), 'utf8')
    // Static imports and re-exports as esbuild prints them, one statement per line start.
    for (const [, from, bare] of code.matchAll(/^(?:import|export)\b(?:[^;"]*?\bfrom)?\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
      const specifier = from ?? bare
      if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue
      packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0] ?? specifier)
    }
  }
  t.ok(packages.has('fastify'), 'the scan finds imports')
  t.same([...packages].filter((name) => dependencies[name] === undefined), [], 'every imported package is a dependency')
})
