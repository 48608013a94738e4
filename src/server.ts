import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { migrateDatabase } from './db/migrate.js'

async function serve (config: Config) {
  const app = await buildApp(config)
  // Stop accepting, let in-flight requests finish, then close the pool (the db plugin's onClose).
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
}

/**
 * With WEB_CONCURRENCY > 1 the primary migrates once, then forks that many workers sharing the port;
 * a signal to the primary is passed on, and each worker drains its own requests.
 */
function superviseWorkers (config: Config) {
  if (config.REDIS_URL === undefined) {
    console.warn('WEB_CONCURRENCY > 1 without REDIS_URL: each worker keeps its own rate-limit counters, so the limits are multiplied')
  }
  let stopping = false
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) cluster.fork()
  cluster.on('exit', (worker, code) => {
    if (!stopping && code !== 0) {
      console.error(`worker ${worker.process.pid} exited with ${code}; starting another`)
      cluster.fork()
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
  })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill(signal)
    })
  }
}

async function start () {
  const config = loadConfig()
  if (cluster.isPrimary) await migrateDatabase(config.DATABASE_URL)
  if (cluster.isPrimary && config.WEB_CONCURRENCY > 1) superviseWorkers(config)
  else await serve(config)
}

start().catch((error: unknown) => {
  // A bad configuration names the variable; anything else is printed whole for the operator.
  console.error(error instanceof ConfigError ? error.message : error)
  process.exit(1)
})
