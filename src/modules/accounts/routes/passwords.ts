import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NoContent } from '../../../schemas/common.js'
import { Accepted, ChangePasswordBody, LookupEmailBody, ResetConfirmBody } from '../schemas.js'
import { accepted } from './aliases.js'

/** Password change (logged in, with an emailed code) and password reset (with an emailed link). */
export const passwordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const passwords = app.passwordChanges

  app.get('/change-password', {
    config: { auth: 'bearer' },
    // This GET sends mail and voids the previous code; its HEAD (below) answers the same without either.
    exposeHeadRoute: false,
    schema: {
      summary: 'Start a password change: email a one-time code',
      description: 'The code is valid for 15 minutes; asking again replaces it.',
      tags: ['Accounts'],
      response: { 202: Accepted }
    }
  }, async (request, reply) => {
    await passwords.startChange(request.auth.userId)
    return reply.code(202).send(accepted('A code is on its way to your email address'))
  })

  app.head('/change-password', { config: { auth: 'bearer' } }, async (_request, reply) => await reply.code(202).send())

  app.post('/change-password', {
    config: { auth: 'bearer', errors: { 400: ['TOKEN_INVALID', 'TOKEN_EXPIRED', 'INVALID_CREDENTIALS'] } },
    schema: {
      summary: 'Change the password with the emailed code',
      description: 'Every existing token of the user stops working; a notice is emailed. Five wrong tries spend the code.',
      tags: ['Accounts'],
      body: ChangePasswordBody,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await passwords.change(request.auth.userId, request.body)
    return reply.code(204).send(null)
  })

  app.post('/password-reset', {
    config: { auth: 'public', limit: 'password-reset' },
    schema: {
      summary: 'Email a password-reset link',
      description: 'Always 202, whether or not an account uses the email.',
      tags: ['Accounts'],
      body: LookupEmailBody,
      response: { 202: Accepted }
    }
  }, async (request, reply) => {
    await passwords.requestReset(request.body.email)
    return reply.code(202).send(accepted('If an account uses this email, a reset link is on its way'))
  })

  app.post('/password-reset/confirm', {
    config: { auth: 'public', limit: 'password-reset-confirm', errors: { 400: ['TOKEN_INVALID', 'TOKEN_EXPIRED'] } },
    schema: {
      summary: 'Set a new password with the emailed reset token',
      description: 'The token works once; every existing token of the user stops working.',
      tags: ['Accounts'],
      body: ResetConfirmBody,
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await passwords.confirmReset(request.body)
    return reply.code(204).send(null)
  })
}
