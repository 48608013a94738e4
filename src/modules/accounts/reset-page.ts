import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { prepareProblem } from '../../plugins/errors.js'
import { escapeHtml } from '../../lib/email-html.js'
import { htmlPage, sendPage } from './pages.js'
import { LinkToken, ResetConfirmBody } from './schemas.js'

const path = '/reset-password'

function resetForm (token: string, problem?: string): string {
  return htmlPage('Choose a new password', [
    ...(problem === undefined ? [] : [`<p role="alert"><strong>${escapeHtml(problem)}</strong></p>`]),
    `<form method="post" action="${path}">`,
    `<input type="hidden" name="token" value="${escapeHtml(token)}">`,
    '<p><label>New password (at least 8 characters)<br>',
    '<input type="password" name="newPassword" minlength="8" required autocomplete="new-password"></label></p>',
    '<p><button type="submit">Set the password</button></p></form>'
  ].join(''))
}

/** Errors as pages: a weak password can be retried from the same form; a spent or expired link cannot. */
function sendErrorPage (error: Error, request: FastifyRequest, reply: FastifyReply) {
  const problem = prepareProblem(error, request, reply)
  const body: unknown = request.body
  const token = typeof body === 'object' && body !== null && 'token' in body && typeof body.token === 'string' ? body.token : undefined
  const html = problem.code === 'VALIDATION_FAILED' && token !== undefined
    ? resetForm(token, problem.message)
    : htmlPage('Password not changed', `<p>${escapeHtml(problem.message)}</p>`)
  return sendPage(reply, problem.statusCode, html)
}

/**
 * The page the password-reset email links to when no `FRONTEND_URL` is set
 * (`{PUBLIC_URL}/reset-password?token=…`), so the link works without a frontend: a form that posts back
 * here and runs the same reset as `POST /api/password-reset/confirm`. A page, not part of the JSON API:
 * its form posts `application/x-www-form-urlencoded` (parsed in this plugin only) and every answer,
 * errors included, is HTML.
 */
const resetPasswordPage: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(formbody)

  app.get(path, {
    config: { auth: 'public' },
    errorHandler: sendErrorPage,
    schema: { hide: true, querystring: Type.Object({ token: Type.Optional(LinkToken) }) }
  }, async (request, reply) => {
    const token = request.query.token
    if (token === undefined) {
      return sendPage(reply, 400, htmlPage('Link not complete', '<p>Open the whole link from the password-reset email.</p>'))
    }
    return sendPage(reply, 200, resetForm(token))
  })

  app.post(path, {
    config: { auth: 'public', limit: 'password-reset-confirm' },
    schema: { hide: true, body: ResetConfirmBody },
    errorHandler: sendErrorPage
  }, async (request, reply) => {
    await app.passwordChanges.confirmReset(request.body)
    return sendPage(reply, 200, htmlPage('Password changed', '<p>Your new password is set and every earlier session has ended. You can now log in.</p>'))
  })
}

export default resetPasswordPage
