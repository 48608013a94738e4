import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import fp from 'fastify-plugin'
import { Piscina } from 'piscina'
import type { BcryptTask } from './bcrypt-worker.js'

/** bcrypt's work factor for stored passwords. */
export const bcryptCost = 10

// The worker is loaded from source in development and tests (TypeScript through the loader the
// process runs with, which worker threads inherit), and from dist/ in production.
const workerFile = new URL(`./bcrypt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

/** Hashing and comparing passwords in a worker-thread pool, off the event loop. */
export interface PasswordHasher {
  hash: (plain: string) => Promise<string>
  verify: (plain: string, hash: string) => Promise<boolean>
  /**
   * Spends one bcrypt comparison at the same cost as a real one, for a login naming no account: an
   * unknown user and a wrong password then take about the same time. Always false.
   */
  spendDummyComparison: (plain: string) => Promise<false>
  /** Ends the worker threads once the tasks under way are done. */
  close: () => Promise<void>
}

/**
 * One pool sized to the cores, so logins scale with them and a login storm leaves the event loop
 * free for other requests. Idle threads exit, so an idle process holds none.
 */
export function createPasswordHasher (): PasswordHasher {
  const pool = new Piscina({ filename: workerFile.href, minThreads: 0, maxThreads: availableParallelism(), idleTimeout: 10_000 })
  const hash = async (plain: string) => await pool.run({ operation: 'hash', plain, cost: bcryptCost } satisfies BcryptTask) as string
  const verify = async (plain: string, hash: string) => await pool.run({ operation: 'compare', plain, hash } satisfies BcryptTask) as boolean
  let dummyHash: Promise<string> | undefined
  return {
    hash,
    verify,
    async spendDummyComparison (plain) {
      dummyHash ??= hash(randomBytes(16).toString('base64url'))
      await verify(plain, await dummyHash)
      return false
    },
    async close () { await pool.close() }
  }
}

/** A hasher for one piece of work outside the app (the CLIs), closed when it is done. */
export async function withPasswordHasher<T> (work: (hasher: PasswordHasher) => Promise<T>): Promise<T> {
  const hasher = createPasswordHasher()
  try {
    return await work(hasher)
  } finally {
    await hasher.close()
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    passwordHasher: PasswordHasher
  }
}

/** `app.passwordHasher`, its threads ended with the app. */
export default fp(async function passwordHasherPlugin (app) {
  const hasher = createPasswordHasher()
  app.decorate('passwordHasher', hasher)
  app.addHook('onClose', async () => { await hasher.close() })
}, { name: 'password-hasher' })
