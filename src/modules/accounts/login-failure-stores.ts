import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import type { Redis } from 'ioredis'
import { loginFailures } from '../../db/schema/index.js'
import type { Database } from '../../db/client.js'
import { affectedRows } from '../../db/query-helpers.js'

/** One attempt counted: how many the pair has made in its window, this one included, and when the window ends. */
export interface AttemptCount {
  attempts: number
  resetInMs: number
}

/** Where the attempts of each (account hash, client IP) pair are counted. */
export interface LoginFailureStore {
  /** Counts one attempt, atomically: parallel attempts each get a count of their own. */
  count: (account: string, ip: string) => Promise<AttemptCount>
  /** Forgets the pair's attempts (its login succeeded). */
  forget: (account: string, ip: string) => Promise<void>
  /** Forgets every pair of these accounts, whatever the IP (a completed password reset). */
  forgetAccounts: (accounts: string[]) => Promise<void>
}

/**
 * Redis: `INCR` and `PEXPIRE … NX` in one MULTI, so the window starts with the first attempt and
 * later ones never move it. Each account keeps the set of IPs it was tried from, living as long as
 * its newest counter, so a reset deletes exactly its keys (no SCAN). The `{account}` hash tag keeps
 * an account's keys in one Redis Cluster slot.
 */
export function redisFailureStore (redis: Redis, prefix: string, windowMs: number): LoginFailureStore {
  const counterKey = (account: string, ip: string) => `${prefix}login-failures:{${account}}:${ip}`
  const ipsKey = (account: string) => `${prefix}login-failures:{${account}}`
  return {
    async count (account, ip) {
      const key = counterKey(account, ip)
      const results = await redis.multi()
        .incr(key)
        .pexpire(key, windowMs, 'NX')
        .pttl(key)
        .sadd(ipsKey(account), ip)
        .pexpire(ipsKey(account), windowMs)
        .exec()
      const failed = results?.find(([error]) => error !== null)?.[0]
      if (results === null || failed != null) throw failed ?? new Error('the login-failure transaction was aborted')
      return { attempts: Number(results[0]?.[1]), resetInMs: Number(results[2]?.[1]) }
    },
    async forget (account, ip) {
      await redis.del(counterKey(account, ip))
    },
    async forgetAccounts (accounts) {
      for (const account of accounts) {
        const ips = await redis.smembers(ipsKey(account))
        await redis.del(ipsKey(account), ...ips.map((ip) => counterKey(account, ip)))
      }
    }
  }
}

/**
 * MySQL: one conditional upsert per attempt, atomic under the row's lock. The new count comes back
 * in the statement's own answer through `LAST_INSERT_ID(expr)` (mysql2's `insertId`), so no second
 * statement can read a count another request has already raised. `attempts` is assigned before
 * `window_ends_at` (MySQL and MariaDB assign left to right), so both read the window as it was.
 */
export function sqlFailureStore (db: Database, windowMs: number): LoginFailureStore {
  const pair = (account: string, ip: string) => and(eq(loginFailures.accountHash, account), eq(loginFailures.ip, ip))
  return {
    async count (account, ip) {
      const now = new Date()
      const windowEndsAt = new Date(now.getTime() + windowMs)
      const expired = sql`${loginFailures.windowEndsAt} <= ${now}`
      const [header] = await db.insert(loginFailures)
        .values({ accountHash: account, ip, attempts: sql`last_insert_id(1)`, windowEndsAt })
        .onDuplicateKeyUpdate({
          set: {
            attempts: sql`last_insert_id(if(${expired}, 1, ${loginFailures.attempts} + 1))`,
            windowEndsAt: sql`if(${expired}, ${windowEndsAt}, ${loginFailures.windowEndsAt})`
          }
        })
      const [row] = await db.select({ windowEndsAt: loginFailures.windowEndsAt }).from(loginFailures).where(pair(account, ip))
      return { attempts: header.insertId, resetInMs: (row?.windowEndsAt.getTime() ?? windowEndsAt.getTime()) - now.getTime() }
    },
    async forget (account, ip) {
      await db.delete(loginFailures).where(pair(account, ip))
    },
    async forgetAccounts (accounts) {
      if (accounts.length > 0) await db.delete(loginFailures).where(inArray(loginFailures.accountHash, accounts))
    }
  }
}

/** Housekeeping: the rows whose window has passed count nothing any more. */
export async function purgeLoginFailures (db: Database, now = new Date()): Promise<number> {
  return affectedRows(await db.delete(loginFailures).where(lt(loginFailures.windowEndsAt, now)))
}
