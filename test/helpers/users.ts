import { randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'
import type { FastifyInstance } from 'fastify'
import { users, type User } from '../../src/db/schema/index.js'

export const testPassword = 'correct horse battery staple'
// A low cost keeps tests fast; verification works the same at any cost.
const testPasswordHash = bcrypt.hashSync(testPassword, 4)

export interface TestUser {
  id: number
  email: string
  username: string
  role: User['role']
  token: string
  headers: { authorization: string }
}

export interface UserOptions {
  role?: User['role']
  verified?: boolean
  email?: string
  username?: string
}

/** Inserts a user straight into the database and signs an access token for it. */
export async function createUser (app: FastifyInstance, { role = 'user', verified = true, email, username }: UserOptions = {}): Promise<TestUser> {
  const suffix = randomBytes(4).toString('hex')
  const values = {
    email: email ?? `user-${suffix}@example.com`,
    username: username ?? `user_${suffix}`,
    passwordHash: testPasswordHash,
    role,
    emailVerifiedAt: verified ? new Date() : null
  }
  const [result] = await app.db.insert(users).values(values).$returningId()
  if (result === undefined) throw new Error('user insert returned no id')
  const { token } = app.tokens.sign('access', { userId: result.id, tokenVersion: 0 })
  return { id: result.id, email: values.email, username: values.username, role, token, headers: { authorization: `Bearer ${token}` } }
}
