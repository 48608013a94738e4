import type { TSchema } from '@sinclair/typebox'
import fp from 'fastify-plugin'

export interface SchemasOptions {
  /** Schemas with an `$id` that routes reference (`Type.Ref`); `app.ts` lists them, so this plugin knows no feature. */
  schemas: TSchema[]
}

/** Registers the shared, named schemas at the root so every route can reference them. */
export default fp<SchemasOptions>(async function schemasPlugin (app, { schemas }) {
  for (const schema of schemas) app.addSchema(schema)
}, { name: 'schemas' })
