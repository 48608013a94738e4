import fp from 'fastify-plugin'
import { sharedSchemas } from '../schemas/shared.js'

/** Registers the shared, named schemas at the root so every route can reference them. */
export default fp(async function schemasPlugin (app) {
  for (const schema of sharedSchemas) app.addSchema(schema)
}, { name: 'schemas' })
