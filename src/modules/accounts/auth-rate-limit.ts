import type { Config } from '../../config.js'
import type { BucketDeclaration, BucketDeclarations } from '../../plugins/route-policy.js'

declare module '../../plugins/route-policy.js' {
  interface RateLimitBuckets {
    register: true
    login: true
    'verification-resend': true
    'password-reset': true
    'password-reset-confirm': true
  }
}

/** A per-IP bucket of `AUTH_RATE_LIMIT_MAX` a minute, spent by a sensitive public route and its aliases. */
function perIpMinute (what: string) {
  return (config: Config): BucketDeclaration => ({
    max: config.AUTH_RATE_LIMIT_MAX,
    timeWindow: '1 minute',
    per: 'ip',
    describe: (max, retryIn) => `At most ${max} ${what} requests a minute from one address; retry in ${retryIn} s`
  })
}

/**
 * The buckets of the account routes, one per route whatever the path it is called by. Confirming a
 * reset has a bucket of its own, shared by the reset page's form, so asking for reset emails never
 * uses up the attempts to set the new password.
 */
export const accountBuckets: BucketDeclarations<'register' | 'login' | 'verification-resend' | 'password-reset' | 'password-reset-confirm'> = {
  register: perIpMinute('registration'),
  login: perIpMinute('login'),
  'verification-resend': perIpMinute('verification-email'),
  'password-reset': perIpMinute('password-reset'),
  'password-reset-confirm': perIpMinute('password-reset confirmation')
}
