import { parseArgs } from 'node:util'
import { eq, sql } from 'drizzle-orm'
import { loadConfig } from '../config.js'
import { connectDatabase, type Database } from '../db/client.js'
import { migrateDatabase } from '../db/migrate.js'
import { users } from '../db/schema/index.js'
import { checkPasswordPolicy, withPasswordHasher } from '../modules/accounts/index.js'

export type AdminOutcome = 'created' | 'promoted'

/**
 * Creates a verified admin, or promotes and verifies the existing account with that email (whose
 * password is then left as it is). The only way to get an admin: the public API never grants the role.
 */
export async function createOrPromoteAdmin (db: Database, { email, password }: { email: string, password: string }): Promise<AdminOutcome> {
  const normalizedEmail = email.trim().toLowerCase()
  if (!/^[^@\s]+@[^@\s]+$/.test(normalizedEmail)) throw new Error(`Not an email address: ${email}`)
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, normalizedEmail))
  if (existing !== undefined) {
    await db.update(users)
      .set({ role: 'admin', emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, current_timestamp(3))` })
      .where(eq(users.id, existing.id))
    return 'promoted'
  }
  const problems = checkPasswordPolicy(password, normalizedEmail)
  if (problems.length > 0) throw new Error(`The password ${problems.join('; ')}`)
  await db.insert(users).values({
    email: normalizedEmail,
    passwordHash: await withPasswordHasher((hasher) => hasher.hash(password)),
    role: 'admin',
    emailVerifiedAt: new Date()
  })
  return 'created'
}

const usage = `Usage: npm run admin:create -- --email <email> --password <password>

Creates a verified admin, or promotes and verifies the account that already uses the email
(its password is then kept). Reads DATABASE_URL like the server and applies pending migrations first.`

async function main () {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help === true) {
    console.log(usage)
    return
  }
  if (values.email === undefined || values.password === undefined) throw new Error(usage)
  const { DATABASE_URL } = loadConfig()
  await migrateDatabase(DATABASE_URL)
  const { db, pool } = connectDatabase(DATABASE_URL, { connectionLimit: 1 })
  try {
    const outcome = await createOrPromoteAdmin(db, { email: values.email, password: values.password })
    console.log(outcome === 'created' ? `Created the admin ${values.email}` : `${values.email} is now a verified admin`)
  } finally {
    await pool.end()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
