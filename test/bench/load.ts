/** Load generation and measurement for test/bench/run.ts: autocannon runs, latency percentiles, RSS. */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'

export interface Percentiles {
  p50: number
  p95: number
  p99: number
  max: number
}

export interface LoadResult extends Percentiles {
  requests: number
  rps: number
  errors: number
  timeouts: number
  non2xx: number
  statusCodes: Record<string, number>
  connections: number
  seconds: number
  /** Every response time (ms), kept so that interleaved rounds can be merged; not written to the JSON. */
  times?: number[]
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits

/** Exact percentiles (nearest rank) of response times in ms. */
export function percentiles (times: number[]): Percentiles {
  if (times.length === 0) return { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN }
  const sorted = Float64Array.from(times).sort()
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN)
  return { p50: at(50), p95: at(95), p99: at(99), max: round(sorted[sorted.length - 1] ?? Number.NaN) }
}

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  /** One request, or a sequence each connection repeats (its `setupRequest` gets a per-connection context). */
  requests: autocannon.Request[]
  headers?: Record<string, string>
  timeoutSeconds?: number
}

/**
 * One autocannon run. Every response time is kept (autocannon's own histogram has no p95), and the
 * status codes counted, so the table shows exact p50/p95/p99 and what went wrong.
 */
export async function load ({ url, connections, seconds, requests, headers = {}, timeoutSeconds = 10 }: LoadOptions): Promise<LoadResult> {
  const times: number[] = []
  const statusCodes: Record<string, number> = {}
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url,
      connections,
      duration: seconds,
      timeout: timeoutSeconds,
      headers,
      requests
    }, (error: unknown, finished: autocannon.Result) => {
      if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)))
      else resolve(finished)
    })
    // The emitted arguments are (client, statusCode, bytes, responseTime), unlike the type says.
    instance.on('response', (...args: unknown[]) => {
      const status = String(args[1])
      statusCodes[status] = (statusCodes[status] ?? 0) + 1
      times.push(Number(args[3]))
    })
  })
  const requestsDone = times.length
  return {
    ...percentiles(times),
    requests: requestsDone,
    rps: round(requestsDone / Math.max(result.duration, 0.001), 1),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    connections,
    seconds: round(result.duration, 1),
    times
  }
}

/** Several rounds of the same scenario as one result (percentiles over every response). */
export function merge (results: LoadResult[]): LoadResult {
  const times = results.flatMap((result) => result.times ?? [])
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0)
  const statusCodes: Record<string, number> = {}
  for (const result of results) {
    for (const [code, count] of Object.entries(result.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count
  }
  const sum = (pick: (result: LoadResult) => number) => results.reduce((total, result) => total + pick(result), 0)
  return {
    ...percentiles(times),
    requests: times.length,
    rps: round(times.length / Math.max(seconds, 0.001), 1),
    errors: sum((result) => result.errors),
    timeouts: sum((result) => result.timeouts),
    non2xx: sum((result) => result.non2xx),
    statusCodes,
    connections: results[0]?.connections ?? 0,
    seconds: round(seconds, 1),
    times
  }
}

/** The result without its raw response times (for the JSON file). */
export function withoutTimes ({ times: _times, ...result }: LoadResult): LoadResult {
  return result
}

export interface SequentialResult extends Percentiles {
  requests: number
  statusCodes: Record<string, number>
}

/**
 * `count` requests one after the other (after `warmup` untimed ones), each timed with
 * performance.now(): the latency of a request with nothing queued in front of it.
 */
export async function sequential (count: number, makeRequest: () => { url: string, init?: RequestInit }, warmup = 5): Promise<SequentialResult> {
  const times: number[] = []
  const statusCodes: Record<string, number> = {}
  for (let index = 0; index < warmup + count; index++) {
    const { url, init } = makeRequest()
    const started = performance.now()
    const response = await fetch(url, init)
    await response.arrayBuffer()
    const elapsed = performance.now() - started
    if (index < warmup) continue
    times.push(elapsed)
    statusCodes[response.status] = (statusCodes[response.status] ?? 0) + 1
  }
  return { ...percentiles(times), requests: count, statusCodes }
}

/** Samples a process's resident set size (VmRSS of /proc/<pid>/status) every `intervalMs`. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined
  private windowMax = 0
  overallMax = 0

  constructor (private readonly pid: number, private readonly intervalMs = 200) {}

  /** Current RSS in MB, or NaN when the process is gone or /proc is unavailable. */
  read (): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
      return match?.[1] === undefined ? Number.NaN : round(Number(match[1]) / 1024, 1)
    } catch {
      return Number.NaN
    }
  }

  start (): void {
    this.timer = setInterval(() => {
      const rss = this.read()
      if (Number.isNaN(rss)) return
      this.windowMax = Math.max(this.windowMax, rss)
      this.overallMax = Math.max(this.overallMax, rss)
    }, this.intervalMs)
    this.timer.unref()
  }

  /** The highest RSS since the previous call (or the start). */
  takeWindowMax (): number {
    const max = this.windowMax
    this.windowMax = 0
    return max
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }
}
