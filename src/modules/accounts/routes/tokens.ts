import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { NoContent } from '../../../schemas/common.js'
import { createLogin } from '../login.js'
import { LoginBody, LogoutBody, RefreshBody, TokenPair, TokenValid, VerifyTokenBody } from '../schemas.js'
import { createRefreshCookie } from '../refresh-cookie.js'
import { withAliases } from './aliases.js'

/** RFC 6749 §5.1: an answer that carries tokens must never be stored by a cache. */
function neverCache (_request: FastifyRequest, reply: FastifyReply, done: () => void) {
  reply.header('cache-control', 'no-store')
  done()
}

/** Login, refresh, token checks and logout. */
export const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions } = app
  const login = createLogin(app)
  const refreshCookie = await createRefreshCookie(app)

  for (const { url, deprecation } of withAliases('/token', '/login', '/user/login')) {
    app.post(url, {
      config: { auth: 'public', limit: 'login', errors: { 401: ['INVALID_CREDENTIALS'], 403: ['EMAIL_NOT_VERIFIED'] } },
      onRequest: neverCache,
      schema: {
        summary: 'Log in: get an access and a refresh token',
        description: `Send \`email\` or \`username\`, and \`password\`. After ${app.config.LOGIN_FAILURE_LIMIT} attempts in ${app.config.LOGIN_FAILURE_WINDOW_SECONDS} s for one account from one IP address (successful ones not counted), that pair answers 429 until the window passes.`,
        tags: ['Tokens'],
        body: LoginBody,
        response: { 200: TokenPair },
        ...deprecation
      }
    }, async (request, reply) => {
      const pair = await login(request, request.body)
      return refreshCookie.deliver(reply, pair, request.body.refreshCookie === true ? 'cookie' : 'body')
    })
  }

  for (const { url, deprecation } of withAliases('/token/refresh', '/refresh')) {
    app.post(url, {
      config: { auth: 'public', errors: { 401: ['UNAUTHENTICATED', 'TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'] } },
      onRequest: neverCache,
      // The body is optional (cookie mode): no body counts as `{}`.
      preValidation: async (request) => { request.body ??= {} },
      schema: {
        summary: 'Exchange a refresh token for a new pair (rotation)',
        description: 'The refresh token is spent; presenting it again revokes its whole session (401 TOKEN_REVOKED), unless within `REFRESH_REUSE_INTERVAL_SECONDS` of its rotation (then the same successor again). Without `refresh` in the body, the refresh cookie is read (from an allowed Origin only) and rotated.',
        tags: ['Tokens'],
        body: RefreshBody,
        'x-body-optional': true,
        response: { 200: TokenPair },
        ...deprecation
      }
    }, async (request, reply) => {
      const { token, source } = refreshCookie.required(request, request.body.refresh)
      return refreshCookie.deliver(reply, await sessions.refresh(token), source)
    })
  }

  for (const { url, deprecation } of withAliases('/token/verify', '/verify')) {
    app.post(url, {
      config: { auth: 'public', errors: { 400: ['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED'] } },
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
        'x-body-optional': true,
        response: { 204: NoContent },
        ...deprecation
      }
    }, async (request, reply) => {
      const presented = refreshCookie.presented(request, request.body.refresh)
      await sessions.logout(request.auth, presented?.token)
      if (presented?.source === 'cookie') refreshCookie.clear(reply)
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
}
