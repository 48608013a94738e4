import fp from 'fastify-plugin'
import passwordHasher from './bcrypt-pool.js'
import loginLimiter from './login-limiter.js'
import passwordChanges from './password-changes.js'
import sessions from './sessions.js'

/**
 * The accounts services, decorated once on the app: the API routes and the password-reset page
 * (outside `/api`) both use them.
 */
export default fp(async function accountServices (app) {
  await app.register(passwordHasher)
  await app.register(sessions)
  await app.register(loginLimiter)
  await app.register(passwordChanges)
}, { name: 'account-services', dependencies: ['config', 'db', 'redis', 'auth', 'mail'] })
