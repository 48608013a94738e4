/** The bench's console report: the scenario table and the figures' helpers. */
import { availableParallelism, cpus, totalmem } from 'node:os'
import type { LoadResult } from './load.js'
import type { LoopDelay } from './processes.js'

export interface ScenarioRecord {
  label: string
  target: 'api' | 'baseline'
  result?: LoadResult
  maxRssMb?: number
  loopDelay?: LoopDelay | undefined
  error?: string
  note?: string
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T
export const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(value < 10 ? 2 : 1))
export const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 || Number.isNaN(a) || Number.isNaN(b) ? null : Math.round((a / b) * 100) / 100)

export function machine () {
  const cpu = cpus()[0]
  return {
    nproc: availableParallelism(),
    cpuModel: cpu?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`
  }
}

export function printTable (scenarios: Record<string, ScenarioRecord>): void {
  const header = ['scenario', 'conns', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'non-2xx', 'RSS MB', 'loop p99/max ms']
  const rows = Object.values(scenarios).map((record) => {
    const r = record.result
    if (r === undefined) return [record.label, '–', 'FAILED', '', '', '', '', '', '', record.error?.slice(0, 80) ?? '']
    const loop = record.loopDelay === undefined ? '' : `${ms(record.loopDelay.p99)}/${ms(record.loopDelay.max)}`
    return [record.label, String(r.connections), r.rps.toFixed(0), ms(r.p50), ms(r.p95), ms(r.p99), String(r.errors + r.timeouts), String(r.non2xx), record.maxRssMb === undefined || record.target === 'baseline' ? '' : record.maxRssMb.toFixed(0), loop]
  })
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(' | ')
  console.log(line(header))
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'))
  for (const row of rows) console.log(line(row))
}
