import fp from 'fastify-plugin'

/**
 * A periodic job; what it resolves to is ignored. `signal` aborts when the app closes: a job working
 * through batches stops after the one in hand.
 */
export type Job = (signal: AbortSignal) => Promise<unknown>

export interface Scheduler {
  /**
   * Runs `job` every `intervalMs` on this instance once the app is ready, never two runs of it at
   * once: the next run is timed from the end of the previous one. A failure is logged and the job
   * runs again at its next tick.
   */
  every: (name: string, intervalMs: number, job: Job) => void
  /**
   * Runs the job now, after the run in progress if there is one, and resolves when it is done (rejects
   * with its error): tests and operators get a tick without waiting for the timer.
   */
  runNow: (name: string) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    scheduler: Scheduler
  }
}

interface Entry {
  intervalMs: number
  job: Job
  timer?: NodeJS.Timeout
  running?: Promise<void>
}

/**
 * `app.scheduler`: periodic jobs on every instance (housekeeping, notices). Jobs that several instances
 * run must be safe to run concurrently; the scheduler only keeps one instance from overlapping itself.
 * Timers never keep the process alive; on close no run starts and the one in progress is awaited, so
 * a job never sees its database pool closed under it.
 */
export default fp(async function schedulerPlugin (app) {
  const entries = new Map<string, Entry>()
  let started = false
  const closing = new AbortController()

  function schedule (name: string, entry: Entry): void {
    if (closing.signal.aborted) return
    // The failure is already logged by run.
    entry.timer = setTimeout(() => { run(name, entry).catch(() => {}) }, entry.intervalMs)
    entry.timer.unref()
  }

  // One run at a time per job: the timer and runNow both come through here.
  async function run (name: string, entry: Entry): Promise<void> {
    while (entry.running !== undefined) await entry.running
    clearTimeout(entry.timer)
    const startedAt = Date.now()
    const running = entry.job(closing.signal).then(
      () => { app.log.debug({ job: name, ms: Date.now() - startedAt }, 'scheduled job done') },
      (error: unknown) => {
        app.log.error({ err: error, job: name }, 'scheduled job failed')
        throw error
      })
    entry.running = running.catch(() => {}).then(() => {
      entry.running = undefined
      schedule(name, entry)
    })
    await running
  }

  app.decorate('scheduler', {
    every (name, intervalMs, job) {
      if (entries.has(name)) throw new Error(`a job named ${name} is already scheduled`)
      const entry: Entry = { intervalMs, job }
      entries.set(name, entry)
      if (started) schedule(name, entry)
    },
    async runNow (name) {
      const entry = entries.get(name)
      if (entry === undefined) throw new Error(`no job named ${name}`)
      await run(name, entry)
    }
  } satisfies Scheduler)

  app.addHook('onReady', async () => {
    started = true
    for (const [name, entry] of entries) schedule(name, entry)
  })
  // Registered after the database and the mailer, so this runs before they close.
  app.addHook('onClose', async () => {
    closing.abort()
    for (const entry of entries.values()) clearTimeout(entry.timer)
    await Promise.all([...entries.values()].map((entry) => entry.running))
  })
}, { name: 'scheduler', dependencies: ['config', 'db', 'mail'] })
