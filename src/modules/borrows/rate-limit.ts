import type { BucketDeclarations } from '../../plugins/route-policy.js'

declare module '../../plugins/route-policy.js' {
  interface RateLimitBuckets {
    borrow: true
  }
}

/**
 * The per-user hourly borrow limit: one bucket shared by `POST /api/borrows` and
 * `POST /api/books/:id/borrow`. Keyed by the user, it runs after authentication and before validation
 * and the handler, so every borrow request counts, refused ones included; the overall per-IP limit
 * applies on top.
 */
export const borrowBuckets: BucketDeclarations<'borrow'> = {
  borrow: (config) => ({
    max: config.BORROW_RATE_LIMIT_PER_HOUR,
    timeWindow: '1 hour',
    per: 'user',
    describe: (max, retryIn) => `At most ${max} borrow requests an hour; retry in ${retryIn} s`
  })
}
