import fp from 'fastify-plugin'
import type { Pool } from 'mysql2/promise'
import { connectDatabase, type Database } from '../db/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    pool: Pool
  }
}

/** The Drizzle handle on a mysql2 pool, closed with the app (after in-flight requests finish). */
export default fp(async function dbPlugin (app) {
  const { db, pool } = connectDatabase(app.config.DATABASE_URL, { timeoutMs: app.config.DB_TIMEOUT_MS })
  app.decorate('db', db)
  app.decorate('pool', pool)
  app.addHook('onClose', async () => { await pool.end() })
}, { name: 'db', dependencies: ['config'] })
