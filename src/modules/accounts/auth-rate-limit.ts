import type { FastifyInstance } from 'fastify'

/** The per-IP bucket of each sensitive public route (each path its own): `AUTH_RATE_LIMIT_MAX` a minute. */
export function authRouteRateLimit (app: FastifyInstance, url: string) {
  return app.rateLimitBucket({
    name: `auth${url}`,
    max: app.config.AUTH_RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    describe: (max, retryIn) => `At most ${max} requests a minute to ${url}; retry in ${retryIn} s`
  })
}
