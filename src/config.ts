import { randomBytes } from 'node:crypto'
import { envSchema } from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from './lib/string-enum.js'

const Seconds = (defaultValue: number) => Type.Integer({ minimum: 1, default: defaultValue })
const Count = (defaultValue: number) => Type.Integer({ minimum: 1, default: defaultValue })
const CommaList = Type.String({ pattern: '^[^,]+(,[^,]+)*$' })

/**
 * Every setting of the service, named as its environment variable. This one schema validates the
 * environment once at start-up and types the `Config` that the rest of the code receives.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: StringEnum(['development', 'production', 'test'], { default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  WEB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  DATABASE_URL: Type.String({ pattern: '^mysql://[^/]+/[A-Za-z0-9_]+(\\?.*)?$', default: 'mysql://root@127.0.0.1:3306/bookstore' }),
  // Its length is counted in bytes, where HS256's strength lies, after validation (see loadConfig).
  JWT_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  ACCESS_TOKEN_TTL: Seconds(900),
  REFRESH_TOKEN_TTL: Seconds(604800),
  // 0: a rotated refresh token presented again always ends its session (README "Accounts and tokens").
  REFRESH_REUSE_INTERVAL_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 0 }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  FRONTEND_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  RESEND_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Bookstore <no-reply@localhost>' }),
  MAIL_RATE_PER_SECOND: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 4 }),
  MAIL_RETRY_BASE_MS: Count(1000),
  MAIL_GIVE_UP_SECONDS: Seconds(86400),
  MAIL_LEASE_SECONDS: Seconds(30),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  // Where the rate-limit counters live in a shared Redis, so several deployments can share one.
  RATE_LIMIT_KEY_PREFIX: Type.String({ pattern: '^[\\x21-\\x7e]{1,64}$', default: 'bookstore-rl:' }),
  // 0 switches the overall limit off (README "Load testing"); the named buckets keep their own settings.
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, default: 300 }),
  AUTH_RATE_LIMIT_MAX: Count(10),
  // Login attempts per (account, client IP) and window, counted before the password is checked.
  LOGIN_FAILURE_LIMIT: Count(10),
  LOGIN_FAILURE_WINDOW_SECONDS: Seconds(900),
  BORROW_RATE_LIMIT_PER_HOUR: Count(10),
  MAX_OPEN_BORROWS: Count(5),
  // 0: due at once.
  LOAN_DAYS: Type.Integer({ minimum: 0, maximum: 365, default: 14 }),
  // 0: no due-soon notices.
  DUE_SOON_DAYS: Type.Integer({ minimum: 0, maximum: 365, default: 2 }),
  NOTICE_INTERVAL_SECONDS: Seconds(300),
  // Renewals and holds (README "Renewals", "Holds"): 0 renewals turns renewing off; 0 pickup days makes a
  // ready hold expire at the next sweep.
  MAX_RENEWALS: Type.Integer({ minimum: 0, maximum: 100, default: 2 }),
  MAX_ACTIVE_HOLDS: Count(5),
  HOLD_PICKUP_DAYS: Type.Integer({ minimum: 0, maximum: 365, default: 3 }),
  UPLOAD_DIR: Type.String({ minLength: 1, default: './var/uploads' }),
  MAX_UPLOAD_BYTES: Count(20971520),
  // Where file bytes live (README "Files"): the local disk under UPLOAD_DIR, or an S3-compatible bucket.
  STORAGE: StringEnum(['local', 's3'], { default: 'local' }),
  S3_BUCKET: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' })),
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
  CORS_ORIGINS: Type.Optional(CommaList),
  TRUST_PROXY: Type.Optional(CommaList),
  // Fail fast (README "Security"): the most a request waits on the database.
  DB_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600000, default: 3000 }),
  // Slow clients (README "Security"): the most a request may take to arrive, headers and body.
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3600000, default: 30000 }),
  // Protects GET /metrics when set (README "Metrics"); long enough not to be guessed.
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' })
})

type EnvConfig = Static<typeof ConfigSchema>

/** Validated settings, with the values derived from others filled in. */
export type Config = EnvConfig & {
  JWT_SECRET: string
  PUBLIC_URL: string
}

/** RFC 7518 §3.2: an HS256 key at least as long as the hash output. */
const minSecretBytes = 32

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export interface LoadConfigOptions {
  /** Where the variables come from; `process.env` by default. */
  env?: Record<string, string | undefined>
  /** Read `.env` too (only outside production, and the environment wins). */
  dotenv?: boolean
}

/**
 * Reads and validates the configuration. A missing or malformed value throws a `ConfigError` whose
 * message names the variable, so the process can stop with it.
 */
export function loadConfig ({ env = process.env, dotenv = env.NODE_ENV !== 'production' }: LoadConfigOptions = {}): Config {
  // Empty strings count as unset, as in most twelve-factor tooling (`FOO=` in a .env file).
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''))
  let parsed: EnvConfig
  try {
    parsed = envSchema<EnvConfig>({ schema: ConfigSchema, data, dotenv })
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${describeEnvError(error)}`)
  }
  if (parsed.JWT_SECRET === undefined && parsed.NODE_ENV === 'production') {
    throw new ConfigError(`Invalid configuration: JWT_SECRET is required (at least ${minSecretBytes} bytes) when NODE_ENV=production`)
  }
  if (parsed.JWT_SECRET !== undefined && Buffer.byteLength(parsed.JWT_SECRET) < minSecretBytes) {
    throw new ConfigError(`Invalid configuration: JWT_SECRET must be at least ${minSecretBytes} bytes`)
  }
  checkStorage(parsed)
  return {
    ...parsed,
    JWT_SECRET: parsed.JWT_SECRET ?? randomBytes(minSecretBytes).toString('base64url'),
    PUBLIC_URL: (parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, '')
  }
}

/** `STORAGE=s3` needs a bucket; keys come in pairs (neither: the SDK's default credential chain, e.g. an instance role). */
function checkStorage ({ STORAGE, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY }: EnvConfig): void {
  if (STORAGE === 's3' && S3_BUCKET === undefined) {
    throw new ConfigError('Invalid configuration: S3_BUCKET is required when STORAGE=s3')
  }
  if ((S3_ACCESS_KEY_ID === undefined) !== (S3_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigError('Invalid configuration: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all')
  }
}

/** env-schema reports `/PORT must be <= 65535`; say `PORT must be <= 65535`. */
function describeEnvError (error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/^env\s*/, '').replace(/(^|, )\//g, '$1')
}

/** The comma-separated list settings, split and trimmed. */
export function splitList (value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter(Boolean)
}
