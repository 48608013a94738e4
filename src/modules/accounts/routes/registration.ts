import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ApiError } from '../../../lib/problem.js'
import { verificationLandingUrl } from '../emails.js'
import { wantsHtml } from '../negotiation.js'
import { sendPage, verificationPage } from '../pages.js'
import { createRegistration, type VerificationOutcome } from '../registration.js'
import { Accepted, AccountCreated, LookupEmailBody, RegisterBody, TokenParams, Verified } from '../schemas.js'
import { accepted, withAliases } from './aliases.js'

/** Registration and email verification. */
export const registrationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const registration = createRegistration(app)

  for (const { url, deprecation } of withAliases('/register', '/user/register')) {
    app.post(url, {
      config: { auth: 'public', limit: 'register', idempotent: true, errors: { 409: ['EMAIL_TAKEN', 'USERNAME_TAKEN'] } },
      schema: {
        summary: 'Create an account',
        description: 'Sends the verification email; tokens are issued once the email is verified.',
        tags: ['Accounts'],
        body: RegisterBody,
        response: { 201: AccountCreated },
        ...deprecation
      }
    }, async (request, reply) => {
      reply.code(201)
      return await registration.register(request.body, app.idempotency.recorder(request))
    })
  }

  app.post('/verify-email/resend', {
    config: { auth: 'public', limit: 'verification-resend' },
    schema: {
      summary: 'Send the verification email again',
      description: 'Always 202, whether or not the email belongs to an unverified account.',
      tags: ['Accounts'],
      body: LookupEmailBody,
      response: { 202: Accepted }
    }
  }, async (request, reply) => {
    await registration.resendVerification(request.body.email)
    return reply.code(202).send(accepted('If an unverified account uses this email, a new verification link is on its way'))
  })

  // The emailed link's GET verifies the account; its HEAD answers the same status without verifying.
  const verifications = { GET: registration.verifyEmail, POST: registration.verifyEmail, HEAD: registration.checkVerificationLink }
  for (const [method, verify] of Object.entries(verifications)) {
    app.route({
      method,
      url: '/verify-email/:token',
      config: { auth: 'public', errors: { 400: ['TOKEN_INVALID', 'TOKEN_EXPIRED'] } },
      exposeHeadRoute: false,
      schema: {
        summary: method === 'GET' ? 'Verify an email address (the emailed link)' : 'Verify an email address (from a frontend)',
        description: 'JSON `{ verified: true }`; a browser asking for text/html gets a small page, or a 303 redirect to FRONTEND_URL when set. A used link answers 200 again once the account is verified.',
        tags: ['Accounts'],
        params: TokenParams,
        'x-html-pages': {
          200: 'The page a browser asking for text/html gets: the address is verified',
          400: 'The page saying the link is not valid or has expired'
        },
        response: {
          200: Verified,
          303: Type.Null({ description: 'Redirect to the frontend (FRONTEND_URL), `/email-verified?status=verified|invalid|expired`' })
        }
      },
      handler: async (request, reply) => {
        const html = wantsHtml(request)
        let outcome: VerificationOutcome = 'verified'
        try {
          await verify(request.params.token)
        } catch (error) {
          if (!html || !(error instanceof ApiError) || (error.code !== 'TOKEN_INVALID' && error.code !== 'TOKEN_EXPIRED')) throw error
          outcome = error.code === 'TOKEN_EXPIRED' ? 'expired' : 'invalid'
        }
        if (!html) return { verified: true as const }
        const frontend = app.config.FRONTEND_URL
        if (frontend !== undefined) return reply.redirect(verificationLandingUrl(frontend, outcome), 303)
        return sendPage(reply, outcome === 'verified' ? 200 : 400, verificationPage(outcome))
      }
    })
  }
}
