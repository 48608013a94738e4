import { defineConfig } from 'drizzle-kit'

// Only `drizzle-kit generate` is used: it needs the schema, not a live database
// (push/pull do not work against MariaDB).
export default defineConfig({
  dialect: 'mysql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  casing: 'snake_case'
})
