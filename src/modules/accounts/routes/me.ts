import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { User } from '../../../db/schema/index.js'
import { notFound } from '../../../lib/problem.js'
import { findUserById, updateUsername } from '../repository.js'
import { Me, UpdateMeBody, type MeView } from '../schemas.js'

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

/** The caller's own account. */
export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
    config: { auth: 'bearer', errors: { 409: ['USERNAME_TAKEN'] } },
    schema: {
      summary: 'Change the caller\'s username',
      tags: ['Accounts'],
      body: UpdateMeBody,
      response: { 200: Me }
    }
  }, async (request) => {
    await updateUsername(app.db, request.auth.userId, request.body.username)
    return toMe(await currentUser(request.auth.userId))
  })
}
