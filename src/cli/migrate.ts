import { loadConfig } from '../config.js'
import { migrateDatabase, parseDatabaseUrl } from '../db/migrate.js'

const { DATABASE_URL } = loadConfig()
await migrateDatabase(DATABASE_URL)
console.log(`Database ${parseDatabaseUrl(DATABASE_URL).database} is up to date`)
