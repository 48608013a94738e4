import { readFile, writeFile } from 'node:fs/promises'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'

/**
 * Writes openapi.json from the route schemas, or with `--check` fails when the committed file is stale.
 * Building the app opens a pool lazily but never queries, so no database is needed.
 */
const target = new URL('../../openapi.json', import.meta.url)
const check = process.argv.includes('--check')

const app = await buildApp(loadConfig({ env: { NODE_ENV: 'test', LOG_LEVEL: 'silent' }, dotenv: false }))
await app.ready()
const document = `${JSON.stringify(app.swagger(), null, 2)}\n`
await app.close()

if (check) {
  const committed = await readFile(target, 'utf8').catch(() => '')
  if (committed !== document) {
    console.error('openapi.json is stale: run `npm run openapi` and commit the result')
    process.exit(1)
  }
  console.log('openapi.json is up to date')
} else {
  await writeFile(target, document)
  console.log('openapi.json written')
}
