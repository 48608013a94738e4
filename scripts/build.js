// @ts-check
/**
 * `npm start`'s prestart: builds `dist/` from `src/` only when a source is newer than the last build, so
 * a restart serves at once. esbuild transpiles each file on its own (no bundle, no type check: that is
 * `npm run typecheck`), so `dist/` mirrors `src/` and the paths resolved from `import.meta.url` (the
 * migrations folder, the bcrypt worker, openapi.json) hold from both. Plain JavaScript, because it runs
 * before anything is compiled; esbuild is a dependency, so a production install can build too.
 */
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const projectRoot = fileURLToPath(new URL('..', import.meta.url))

/** What the output depends on besides `src/`: the module type, the compiler options, this script. */
const configInputs = ['package.json', 'tsconfig.json', 'scripts/build.js']

/** Written last by a build; its mtime is when that build started. */
export const stampName = '.build-stamp'

/**
 * The newest mtime (ms) under `dir`, directories included: adding, removing or renaming a file changes
 * its directory's mtime, so a deleted source makes the build stale as an edited one does.
 * @param {string} dir
 * @returns {number}
 */
function newestUnder (dir) {
  let newest = statSync(dir).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Whether `dist/` must be (re)built: no complete build yet, or something it is built from changed
 * since the last one started. Without `src/` (a runtime image ships `dist/` alone) nothing can be newer.
 * @param {string} [root]
 * @returns {boolean}
 */
export function isStale (root = projectRoot) {
  const stamp = join(root, 'dist', stampName)
  if (!existsSync(stamp)) return true
  const source = join(root, 'src')
  if (!existsSync(source)) return false
  const inputs = configInputs.map((name) => join(root, name)).filter((path) => existsSync(path))
  const newest = Math.max(newestUnder(source), ...inputs.map((path) => statSync(path).mtimeMs))
  return newest > statSync(stamp).mtimeMs
}

/**
 * @param {string} dir
 * @returns {string[]}
 */
function typeScriptFiles (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return typeScriptFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/**
 * Builds `dist/` afresh (so a deleted source leaves no module behind), then stamps it with the time the
 * build started: a file saved during the build makes the next start build again.
 * @param {string} [root]
 * @returns {Promise<number>} how many files were built
 */
export async function build (root = projectRoot) {
  const { build: esbuild } = await import('esbuild')
  const startedAt = new Date()
  const outdir = join(root, 'dist')
  rmSync(outdir, { recursive: true, force: true })
  const entryPoints = typeScriptFiles(join(root, 'src'))
  await esbuild({
    entryPoints,
    outdir,
    outbase: join(root, 'src'),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning'
  })
  const stamp = join(outdir, stampName)
  writeFileSync(stamp, `${startedAt.toISOString()}\n`)
  utimesSync(stamp, startedAt, startedAt)
  return entryPoints.length
}

async function main () {
  const force = process.argv.includes('--force')
  if (!force && !isStale()) return
  const started = performance.now()
  const files = await build()
  console.log(`built ${files} files into ${relative(process.cwd(), join(projectRoot, 'dist')) || '.'} in ${Math.round(performance.now() - started)} ms`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((/** @type {unknown} */ error) => {
    console.error(error)
    process.exit(1)
  })
}
