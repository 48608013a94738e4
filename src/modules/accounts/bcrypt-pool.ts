import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import type { BcryptTask } from './bcrypt-worker.js'

// The worker is loaded from source in development and tests (TypeScript through the loader the
// process runs with, which worker threads inherit), and from dist/ in production.
const workerFile = new URL(`./bcrypt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

let pool: Piscina | undefined

/**
 * One pool per process, sized to the cores, so logins scale with them and a login storm leaves the
 * event loop free for other requests. Idle threads exit, so an idle process holds none.
 */
function bcryptPool (): Piscina {
  pool ??= new Piscina({
    filename: workerFile.href,
    minThreads: 0,
    maxThreads: availableParallelism(),
    idleTimeout: 10_000
  })
  return pool
}

export async function hashInWorker (plain: string, cost: number): Promise<string> {
  return await bcryptPool().run({ operation: 'hash', plain, cost } satisfies BcryptTask) as string
}

export async function compareInWorker (plain: string, hash: string): Promise<boolean> {
  return await bcryptPool().run({ operation: 'compare', plain, hash } satisfies BcryptTask) as boolean
}
