/**
 * A load test aimed at the rate limiter, as a user would run one: a second API process, started as
 * `npm start` starts it but with its default limits (and Redis when it answers, as several processes
 * need), is hammered with catalogue reads from one client. What should come back: exactly
 * `RATE_LIMIT_MAX` answers, then clean 429s (no errors, no 5xx), while `/health` (never limited) stays
 * responsive. The client is given a fresh address through X-Forwarded-For (the process trusts the bench as
 * its proxy), so every run starts with a full bucket even when Redis remembers an earlier one.
 */
import { randomInt } from 'node:crypto'
import type autocannon from 'autocannon'
import { load, sequential, withoutTimes, type LoadResult, type SequentialResult } from './load.js'
import { stopChild, type Child } from './processes.js'

export interface RateLimitStormOptions {
  /** Starts the API with these environment variables on top of the bench's own (port, database…). */
  startApi: (env: Record<string, string>) => Promise<{ child: Child, url: string }>
  redisUrl: string | undefined
  limit: number
  connections: number
  seconds: number
  requests: autocannon.Request[]
}

export interface RateLimitStormResult {
  limit: number
  sharedThroughRedis: boolean
  load: LoadResult
  /** `/health`, one request at a time, during the storm. */
  health: SequentialResult
  /** 2xx answers = the limit, and every other answer a 429. */
  exact: boolean
}

export async function rateLimitStorm ({ startApi, redisUrl, limit, connections, seconds, requests }: RateLimitStormOptions): Promise<RateLimitStormResult> {
  const { child, url } = await startApi({
    RATE_LIMIT_MAX: String(limit),
    TRUST_PROXY: '127.0.0.1',
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl })
  })
  try {
    const client = `198.51.100.${randomInt(1, 255)}, 203.0.113.${randomInt(1, 255)}`
    const storm = load({ url, connections, seconds, requests, headers: { 'x-forwarded-for': client } })
    // Measured once the bucket is empty and the 429s are flowing.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const health = await sequential(200, () => ({ url: `${url}/health` }), 0)
    const result = withoutTimes(await storm)
    const answered = Object.values(result.statusCodes).reduce((sum, count) => sum + count, 0)
    const ok = Object.entries(result.statusCodes).filter(([code]) => code.startsWith('2')).reduce((sum, [, count]) => sum + count, 0)
    const limited = result.statusCodes['429'] ?? 0
    return {
      limit,
      sharedThroughRedis: redisUrl !== undefined,
      load: result,
      health,
      exact: ok === limit && ok + limited === answered && result.errors === 0 && result.timeouts === 0
    }
  } finally {
    await stopChild(child)
  }
}
