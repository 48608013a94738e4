import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { schedulePurge } from './purge.js'
import { meRoutes } from './routes/me.js'
import { passwordRoutes } from './routes/passwords.js'
import { registrationRoutes } from './routes/registration.js'
import { tokenRoutes } from './routes/tokens.js'

/** Accounts and tokens: registration, email verification, login, refresh, logout, profile, passwords. */
const accountsModule: FastifyPluginAsyncTypebox = async (app) => {
  schedulePurge(app)
  await app.register(registrationRoutes)
  await app.register(tokenRoutes)
  await app.register(meRoutes)
  await app.register(passwordRoutes)
}

export default accountsModule

export { default as resetPasswordPage } from './reset-page.js'
export { default as accountServices } from './services.js'
export { checkPasswordPolicy } from './passwords.js'
export { withPasswordHasher } from './bcrypt-pool.js'
export { accountBuckets } from './auth-rate-limit.js'
