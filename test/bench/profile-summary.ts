/**
 * Summarises a V8 CPU profile (from `npm run bench -- --cpu-prof`, in var/bench/profiles/): self time
 * by package (node_modules/<name>, our src/, node internals, GC) and the top functions.
 * Usage: node --import tsx test/bench/profile-summary.ts var/bench/profiles/<file>.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function packageOf (url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (modules?.[1] !== undefined) return modules[1]
  if (url.startsWith('node:')) return 'node internals'
  if (url.includes('/dist/') || url.includes('/src/')) return 'our code'
  return url
}

const [file, topArgument] = process.argv.slice(2)
if (file === undefined) throw new Error('Usage: profile-summary.ts <file.cpuprofile> [top]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfTime = new Map<number, number>()
profile.samples.forEach((id, index) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)))
const total = [...selfTime.values()].reduce((sum, value) => sum + value, 0)

const packages = new Map<string, number>()
const functions = new Map<string, number>()
for (const [id, micros] of selfTime) {
  const node = byId.get(id)
  if (node === undefined) continue
  const { functionName, url, lineNumber } = node.callFrame
  const pkg = packageOf(url, functionName)
  packages.set(pkg, (packages.get(pkg) ?? 0) + micros)
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/')}:${lineNumber + 1}`
  functions.set(name, (functions.get(name) ?? 0) + micros)
}
const percent = (micros: number) => `${((micros / total) * 100).toFixed(1).padStart(5)} %`
console.log(`Total sampled: ${(total / 1e6).toFixed(1)} s\n\nSelf time by package:`)
for (const [pkg, micros] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${percent(micros)}  ${pkg}`)
console.log('\nTop functions (self time):')
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, Number(topArgument ?? 25))) console.log(`  ${percent(micros)}  ${name}`)
