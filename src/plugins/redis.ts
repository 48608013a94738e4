import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** Present when `REDIS_URL` is set. */
    redis: Redis | undefined
  }
}

/**
 * The optional Redis connection for shared rate-limit counters. Short timeouts and no offline queue:
 * while Redis is down, commands fail at once instead of queueing, so no request waits on it.
 */
export default fp(async function redisPlugin (app) {
  const url = app.config.REDIS_URL
  if (url === undefined) {
    app.decorate('redis', undefined)
    return
  }
  const redis = new Redis(url, {
    connectTimeout: 500,
    commandTimeout: 500,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
  })
  redis.on('error', (error) => app.log.warn({ err: error }, 'redis error'))
  try {
    await redis.connect()
  } catch (error) {
    app.log.warn({ err: error }, 'redis unreachable at start; rate limits fall back to allowing requests until it answers')
  }
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { redis.disconnect() })
}, { name: 'redis', dependencies: ['config'] })
