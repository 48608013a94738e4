/** Child processes of the benchmark (the API and the baseline): start, wait until ready, always stop. */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Child {
  name: string
  process: ChildProcess
  pid: number
  /** The last lines it printed (stdout and stderr), for the report when it dies. */
  output: string[]
}

const children = new Set<Child>()

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/** Whether something accepts TCP connections at the host and port of `url` (within half a second). */
export async function answers (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: 500 })
    const settle = (result: boolean) => { socket.destroy(); resolve(result) }
    socket.once('connect', () => { settle(true) })
    socket.once('timeout', () => { settle(false) })
    socket.once('error', () => { settle(false) })
  })
}

export function startChild (name: string, args: string[], env: Record<string, string>, cwd: string): Child {
  // An empty value removes the variable (the API's config refuses some empty values).
  const merged: Record<string, string | undefined> = { ...process.env, ...env }
  for (const [key, value] of Object.entries(env)) if (value === '') merged[key] = undefined
  const child = spawn(process.execPath, args, {
    cwd,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc']
  })
  if (child.pid === undefined) throw new Error(`could not start ${name}`)
  const record: Child = { name, process: child, pid: child.pid, output: [] }
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      record.output.push(line)
      if (record.output.length > 40) record.output.shift()
    }
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  child.on('exit', () => { children.delete(record) })
  children.add(record)
  return record
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
export async function waitUntilReady (child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${child.output.join('\n')}`)
    }
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
  throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs / 1000} s:\n${child.output.join('\n')}`)
}

/** SIGTERM (graceful: the API's CPU profile, if any, is written on exit), SIGKILL after `graceMs`. */
export async function stopChild (child: Child, graceMs = 10_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()))
  child.process.kill('SIGTERM')
  const timer = setTimeout(() => { child.process.kill('SIGKILL') }, graceMs)
  await exited
  clearTimeout(timer)
}

export async function stopAll (): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)))
}

export interface LoopDelay {
  p50: number
  p99: number
  max: number
  /** process.memoryUsage() in MB when asked (rss, heapTotal, heapUsed, external, arrayBuffers). */
  memory?: Record<string, number>
}

/** Sends `message` to test/bench/probe.js in the child and waits for an answer of `type` (undefined after `timeoutMs`). */
async function ask (child: Child, message: string, type: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  if (child.process.connected !== true) return undefined
  return await new Promise((resolve) => {
    const timer = setTimeout(() => { child.process.off('message', onMessage); resolve(undefined) }, timeoutMs)
    function onMessage (answer: unknown) {
      if (typeof answer !== 'object' || answer === null) return
      const record = answer as Record<string, unknown>
      if (record.type !== type && record.type !== 'error') return
      clearTimeout(timer)
      child.process.off('message', onMessage)
      if (record.type === 'error') console.warn(`! probe: ${String(record.message)}`)
      resolve(record.type === type ? record : undefined)
    }
    child.process.on('message', onMessage)
    child.process.send(message)
  })
}

/** The API's event-loop delay (and memory) since the previous call; undefined when the probe does not answer. */
export async function loopDelay (child: Child): Promise<LoopDelay | undefined> {
  const answer = await ask(child, 'loop-delay', 'loop-delay', 2000)
  if (answer === undefined) return undefined
  const { p50, p99, max, memory } = answer as unknown as LoopDelay
  return { p50, p99, max, ...(memory === undefined ? {} : { memory }) }
}

/** A full garbage collection in the child, then its memory in MB (what is retained). */
export async function collectGarbage (child: Child): Promise<Record<string, number> | undefined> {
  const answer = await ask(child, 'gc', 'gc', 10_000)
  return answer?.memory as Record<string, number> | undefined
}

/** Starts a CPU profile in the child (test/bench/probe.js). */
export async function startProfile (child: Child): Promise<boolean> {
  return (await ask(child, 'profile-start', 'profile-started', 5000)) !== undefined
}

/** Stops the child's CPU profile and has it written to `file` (a .cpuprofile for Chrome DevTools). */
export async function stopProfile (child: Child, file: string): Promise<boolean> {
  return (await ask(child, `profile-stop ${file}`, 'profile-stopped', 30_000)) !== undefined
}
