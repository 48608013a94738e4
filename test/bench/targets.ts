/**
 * The performance targets `npm run bench` checks (issue 17's table, with the idempotency and rate-limiter
 * goals beside it), from the figures one run measured. A target with no figure is `n/a`, never met.
 */

export interface Target {
  name: string
  value: number | null
  limit: string
  met: boolean | null
  note?: string
}

export interface Figures {
  /** One request at a time, p95 in ms, by the bench's scenario keys. */
  sequentialP95: (key: string) => number | undefined
  ratios: { bookReadRps: number | null, bookReadP99: number | null, favoritesRps: number | null, tokenVerifyRps: number | null, keyedCycleRps: number | null, stormP99: number | null }
  connections: number
  atIssueScale: { books: number, borrows: number } | true
  startMedianMs: number | undefined
  maxRssMb: number
  limiter: { exact: boolean, healthP99: number } | undefined
}

function check (name: string, value: number | null | undefined, limit: string, met: (value: number) => boolean, note?: string): Target {
  return {
    name,
    value: value ?? null,
    limit,
    met: value === null || value === undefined || Number.isNaN(value) ? null : met(value),
    ...(note === undefined ? {} : { note })
  }
}

export function evaluateTargets (figures: Figures): Target[] {
  const { sequentialP95: p95, ratios, atIssueScale: scale } = figures
  const scaleNote = scale === true ? undefined : `measured at ${scale.books} books / ${scale.borrows} borrows; the target is for 100000 / 1000000`
  const fast = (v: number) => v <= 20
  return [
    check('GET /api/books default page 1, p95 ms one at a time', p95('frontPageSequential'), '≤ 20', fast, scaleNote),
    check('GET /api/books default page 500, p95 ms one at a time', p95('frontPage500Sequential'), '≤ 20', fast, scaleNote),
    check('GET /api/books?q=<two words>, p95 ms one at a time', p95('searchTwoWordsSequential'), '≤ 20', fast, scaleNote),
    check('GET /api/stats all time, p95 ms one at a time', p95('statsAllTimeSequential'), '≤ 50', (v) => v <= 50, scaleNote),
    check('GET /api/stats one month, p95 ms one at a time', p95('statsMonthSequential'), '≤ 50', (v) => v <= 50, scaleNote),
    check('GET /api/books/:id req/s ÷ baseline', ratios.bookReadRps, '≥ 0.8', (v) => v >= 0.8),
    check(`GET /api/books/:id p99 ÷ baseline p99 at ${figures.connections} connections`, ratios.bookReadP99, '≤ 1.5', (v) => v <= 1.5, figures.connections === 64 ? undefined : 'the target is at 64 connections'),
    check('GET /api/favorites req/s ÷ baseline', ratios.favoritesRps, '≥ 0.6', (v) => v >= 0.6),
    check('POST /api/token/verify req/s ÷ baseline book-read req/s', ratios.tokenVerifyRps, '≥ 0.7', (v) => v >= 0.7),
    check('npm start to /ready 200 after a build, median ms', figures.startMedianMs, '≤ 3000', (v) => v <= 3000),
    check('API max RSS MB under load', figures.maxRssMb, '≤ 200', (v) => v <= 200),
    check('borrow + return req/s with an Idempotency-Key ÷ without', ratios.keyedCycleRps, '≥ 0.85 (≤ 15 % overhead)', (v) => v >= 0.85),
    check('load aimed at the rate limiter: 2xx answers = RATE_LIMIT_MAX, the rest 429, no errors', figures.limiter === undefined ? null : Number(figures.limiter.exact), '= 1', (v) => v === 1),
    check('/health p99 ms during that load', figures.limiter?.healthP99, '≤ 100 (responsive)', (v) => v <= 100),
    check('catalogue p99 during a login storm ÷ alone', ratios.stormP99, '≤ 3', (v) => v <= 3, ratios.stormP99 === Number.POSITIVE_INFINITY ? 'no catalogue read was answered during the storm' : undefined)
  ]
}

export function printTargets (targets: Target[]): void {
  console.log('\nTargets')
  for (const target of targets) {
    const verdict = target.met === null ? 'n/a ' : target.met ? 'MET ' : 'MISS'
    console.log(`  [${verdict}] ${target.name}: ${target.value ?? '–'} (target ${target.limit})${target.note === undefined ? '' : ` — ${target.note}`}`)
  }
}
