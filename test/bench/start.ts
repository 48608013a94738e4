import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { migrateDatabase } from '../../src/db/migrate.js'
import { freePort } from './processes.js'

/**
 * How long `npm start` takes to answer `/ready` 200 after a build, as an orchestrator's start probe
 * sees it: npm, the prestart staleness check, loading dist/, the migration check, listening.
 * `npm run bench:start -- [runs]` (and `npm run bench`, with fewer); the first start builds dist/ when
 * it is stale and is left out.
 */
const root = fileURLToPath(new URL('../../', import.meta.url))

async function readyWithin (port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then((response) => response.ok, () => false)
    if (ok) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return false
}

/**
 * The CPU seconds (user + system) spent so far by every process of a process group (npm, its shell, the
 * server), from /proc (Linux): on a shared machine the wall time mostly measures the neighbours.
 */
function groupCpuSeconds (group: number): number {
  let ticks = 0
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const stat = (() => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8') } catch { return '' } })()
    // The fields after the parenthesised command name: state, ppid, pgrp, …, utime (14th), stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === group) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / 100
}

interface Start { wallMs: number, cpuMs: number }

async function startOnce (databaseUrl: string): Promise<Start> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn('npm', ['start'], {
    cwd: root,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }
  })
  const ready = await readyWithin(port, Date.now() + 120_000)
  const wallMs = performance.now() - started
  const cpuMs = child.pid === undefined ? NaN : groupCpuSeconds(child.pid) * 1000
  // npm and the server it started share a process group: stop them both.
  if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
  await once(child, 'exit')
  if (!ready) throw new Error('npm start did not answer /ready 200 within 120 s')
  return { wallMs, cpuMs }
}

export interface StartTimes { runs: number, wallMs: Summary, cpuMs: Summary }
interface Summary { median: number, min: number, max: number }

function summary (values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN }
}

/** Starts `npm start` once to build, then `runs` times more, timing each to its first `/ready` 200. */
export async function measureStarts (databaseUrl: string, runs: number): Promise<StartTimes> {
  await migrateDatabase(databaseUrl)
  await startOnce(databaseUrl)
  const starts: Start[] = []
  for (let i = 0; i < runs; i++) starts.push(await startOnce(databaseUrl))
  return { runs, wallMs: summary(starts.map((start) => start.wallMs)), cpuMs: summary(starts.map((start) => start.cpuMs)) }
}

export function describeStarts ({ runs, wallMs, cpuMs }: StartTimes): string {
  const ms = (value: number) => `${Math.round(value)} ms`
  const line = (what: string, times: Summary) => `npm start → /ready 200, ${what}, ${runs} starts after a build: median ${ms(times.median)}, min ${ms(times.min)}, max ${ms(times.max)}`
  return [line('wall time', wallMs), line('CPU time of npm and the server', cpuMs)].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const databaseUrl = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/bookstore_bench_start'
  console.log(describeStarts(await measureStarts(databaseUrl, Number(process.argv[2] ?? 5))))
}
