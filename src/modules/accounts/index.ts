import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { User } from '../../db/schema/index.js'
import { ApiError, notFound } from '../../lib/problem.js'
import { NoContent, problemResponses } from '../../schemas/common.js'
import { verificationLandingUrl } from './emails.js'
import { createLogin } from './login.js'
import { sendPage, verificationPage } from './pages.js'
import { schedulePurge } from './purge.js'
import { createRegistration, type VerificationOutcome } from './registration.js'
import { findUserById, updateUsername } from './repository.js'
import {
  Accepted, AccountCreated, ChangePasswordBody, LoginBody, LogoutBody, LookupEmailBody, Me, RefreshBody, RegisterBody,
  ResetConfirmBody, TokenPair, TokenParams, TokenValid, UpdateMeBody, Verified, VerifyTokenBody, type MeView
} from './schemas.js'

/** The route itself, then its deprecated compatibility aliases (same handler). */
function withAliases (url: string, ...aliases: string[]) {
  return [
    { url, deprecation: {} },
    ...aliases.map((alias) => ({ url: alias, deprecation: { deprecated: true, description: `Deprecated alias of \`/api${url}\`, kept for older clients.` } }))
  ]
}

function toMe (user: User): MeView {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString()
  }
}

/** The `q` a media type gets in an Accept header (0 when absent). */
function acceptQuality (accept: string, type: string): number {
  for (const part of accept.split(',')) {
    const [media, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase())
    if (media !== type) continue
    const q = params.find((param) => param.startsWith('q='))
    return q === undefined ? 1 : Number(q.slice(2)) || 0
  }
  return 0
}

/** A browser following the emailed link asks for HTML; API clients get JSON. */
function wantsHtml (request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''
  const html = acceptQuality(accept, 'text/html')
  return html > 0 && html >= acceptQuality(accept, 'application/json')
}

const accepted = (message: string) => ({ message })

/** RFC 6749 §5.1: an answer that carries tokens must never be stored by a cache. */
function neverCache (_request: FastifyRequest, reply: FastifyReply, done: () => void) {
  reply.header('cache-control', 'no-store')
  done()
}

/** Accounts and tokens: registration, email verification, login, refresh, logout, profile, passwords. */
const accountsModule: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions, passwordChanges: passwords } = app
  const registration = createRegistration(app)
  const login = createLogin(app)
  schedulePurge(app)

  for (const { url, deprecation } of withAliases('/register', '/user/register')) {
    app.post(url, {
      config: { auth: 'public', limit: 'register' },
      schema: {
        summary: 'Create an account',
        description: 'Sends the verification email; tokens are issued once the email is verified.',
        tags: ['Accounts'],
        body: RegisterBody,
        response: { 201: AccountCreated, ...problemResponses(409) },
        ...deprecation
      }
    }, async (request, reply) => reply.code(201).send(await registration.register(request.body)))
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

  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: '/verify-email/:token',
      config: { auth: 'public' },
      schema: {
        summary: method === 'GET' ? 'Verify an email address (the emailed link)' : 'Verify an email address (from a frontend)',
        description: 'JSON `{ verified: true }`; a browser asking for text/html gets a small page, or a 303 redirect to FRONTEND_URL when set. A used link answers 200 again once the account is verified.',
        tags: ['Accounts'],
        params: TokenParams,
        response: {
          200: Verified,
          303: Type.Null({ description: 'Redirect to the frontend (FRONTEND_URL), `/email-verified?status=verified|invalid|expired`' })
        }
      },
      handler: async (request, reply) => {
        const html = wantsHtml(request)
        let outcome: VerificationOutcome = 'verified'
        try {
          await registration.verifyEmail(request.params.token)
        } catch (error) {
          if (!html || !(error instanceof ApiError) || (error.code !== 'TOKEN_INVALID' && error.code !== 'TOKEN_EXPIRED')) throw error
          outcome = error.code === 'TOKEN_EXPIRED' ? 'expired' : 'invalid'
        }
        if (!html) return { verified: true as const }
        const frontend = app.config.FRONTEND_URL
        if (frontend !== undefined) return reply.redirect(verificationLandingUrl(frontend, outcome), 303)
        // A page rather than JSON: outside the typed JSON responses.
        const page = reply as unknown as FastifyReply
        return sendPage(page, outcome === 'verified' ? 200 : 400, verificationPage(outcome))
      }
    })
  }

  for (const { url, deprecation } of withAliases('/token', '/login', '/user/login')) {
    app.post(url, {
      config: { auth: 'public', limit: 'login' },
      onRequest: neverCache,
      schema: {
        summary: 'Log in: get an access and a refresh token',
        description: 'Send `email` or `username`, and `password`. After 10 failed attempts in 15 minutes an account answers 429 until the window passes.',
        tags: ['Tokens'],
        body: LoginBody,
        response: { 200: TokenPair, ...problemResponses(401, 403) },
        ...deprecation
      }
    }, async (request) => await login(request, request.body))
  }

  for (const { url, deprecation } of withAliases('/token/refresh', '/refresh')) {
    app.post(url, {
      config: { auth: 'public' },
      onRequest: neverCache,
      schema: {
        summary: 'Exchange a refresh token for a new pair (rotation)',
        description: 'The refresh token is spent; presenting it again revokes its whole session (401 TOKEN_REVOKED).',
        tags: ['Tokens'],
        body: RefreshBody,
        response: { 200: TokenPair, ...problemResponses(401) },
        ...deprecation
      }
    }, async (request) => await sessions.refresh(request.body.refresh))
  }

  for (const { url, deprecation } of withAliases('/token/verify', '/verify')) {
    app.post(url, {
      config: { auth: 'public' },
      schema: {
        summary: 'Check whether a token is valid',
        description: 'Access or refresh token; 400 TOKEN_INVALID, TOKEN_EXPIRED or TOKEN_REVOKED when it would be refused.',
        tags: ['Tokens'],
        body: VerifyTokenBody,
        response: { 200: TokenValid },
        ...deprecation
      }
    }, async (request) => await sessions.verify(request.body.token))
  }

  for (const { url, deprecation } of withAliases('/logout', '/user/logout')) {
    app.post(url, {
      config: { auth: 'bearer' },
      // The body is optional: no body counts as `{}`.
      preValidation: async (request) => { request.body ??= {} },
      schema: {
        summary: 'Log out this access token (and a refresh token\'s session)',
        tags: ['Tokens'],
        body: LogoutBody,
        response: { 204: NoContent },
        ...deprecation
      }
    }, async (request, reply) => {
      await sessions.logout(request.auth, request.body.refresh)
      return reply.code(204).send(null)
    })
  }

  app.post('/logout/all', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Log out everywhere: every token of the user stops working',
      tags: ['Tokens'],
      response: { 204: NoContent }
    }
  }, async (request, reply) => {
    await sessions.logoutAll(request.auth.userId)
    return reply.code(204).send(null)
  })

  const currentUser = async (userId: number) => {
    const user = await findUserById(app.db, userId)
    if (user === undefined) throw notFound('User')
    return user
  }

  app.get('/me', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'The caller\'s account',
      tags: ['Accounts'],
      response: { 200: Me }
    }
  }, async (request) => toMe(await currentUser(request.auth.userId)))

  app.patch('/me', {
    config: { auth: 'bearer' },
    schema: {
      summary: 'Change the caller\'s username',
      tags: ['Accounts'],
      body: UpdateMeBody,
      response: { 200: Me, ...problemResponses(409) }
    }
  }, async (request) => {
    await updateUsername(app.db, request.auth.userId, request.body.username)
    return toMe(await currentUser(request.auth.userId))
  })

  app.get('/change-password', {
    config: { auth: 'bearer' },
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

  app.post('/change-password', {
    config: { auth: 'bearer' },
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
    config: { auth: 'public', limit: 'password-reset-confirm' },
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

export default accountsModule
