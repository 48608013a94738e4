import { Type, type Static } from '@sinclair/typebox'
import { userRoles } from '../../db/schema/index.js'
import { StringEnum } from '../../lib/string-enum.js'
import { Id, Timestamp } from '../../schemas/common.js'
import { passwordMaxBytes, passwordMinLength } from './passwords.js'
import { example } from '../../schemas/examples.js'

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'Compared and stored lower-cased' })
export const Username = Type.String({
  pattern: '^[A-Za-z0-9_.-]{3,50}$',
  minLength: 3,
  maxLength: 50,
  description: '3–50 letters, digits, `_`, `.` or `-`'
})
export const Password = Type.String({
  minLength: passwordMinLength,
  maxLength: passwordMaxBytes,
  description: `${passwordMinLength} characters to ${passwordMaxBytes} UTF-8 bytes; not your email, not a well-known common password`
})
/** What a client sends as its current password: checked against the hash, never against the policy. */
const AnyPassword = Type.String({ minLength: 1, maxLength: 1024 })
const JwtString = Type.String({ minLength: 1, maxLength: 4096 })
/** A one-time token from an email link (base64url). */
export const LinkToken = Type.String({ minLength: 1, maxLength: 256 })

export const RegisterBody = Type.Object({
  email: Email,
  password: Password,
  username: Type.Optional(Type.Union([Username, Type.Null()], { description: 'Optional; left out or null, the account has none' }))
}, { additionalProperties: false, examples: [{ email: example.email, password: example.password, username: example.username }] })
export type RegisterInput = Static<typeof RegisterBody>

export const AccountCreated = Type.Object({
  id: Id,
  email: Type.String({ maxLength: 254 }),
  username: Type.Union([Type.String({ maxLength: 50 }), Type.Null()]),
  emailVerified: Type.Boolean()
}, { additionalProperties: false })

export const Me = Type.Object({
  id: Id,
  email: Type.String({ maxLength: 254 }),
  username: Type.Union([Type.String({ maxLength: 50 }), Type.Null()]),
  role: StringEnum(userRoles),
  emailVerified: Type.Boolean(),
  createdAt: Timestamp
}, { additionalProperties: false })
export type MeView = Static<typeof Me>

export const UpdateMeBody = Type.Object({
  username: Type.Union([Username, Type.Null()], { description: 'null removes the username' })
}, { additionalProperties: false, examples: [{ username: 'bookworm' }] })

/**
 * An address to look up, not to store: any string is answered the same 202 (an address no account could
 * have included), so these routes tell a caller nothing, and a typo is simply an address without mail.
 */
export const LookupEmailBody = Type.Object({
  email: Type.String({ maxLength: 254, description: 'Compared lower-cased; one that matches no account is answered the same' })
}, { additionalProperties: false, examples: [{ email: example.email }] })

export const Accepted = Type.Object({
  message: Type.String({ maxLength: 300 })
}, { additionalProperties: false, description: 'Accepted; any email goes out in the background' })

export const TokenParams = Type.Object({ token: LinkToken })

export const Verified = Type.Object({ verified: Type.Literal(true) }, { additionalProperties: false })

export const LoginBody = Type.Object({
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'A username, or an email address' })),
  password: AnyPassword,
  refreshCookie: Type.Optional(Type.Boolean({ description: 'Browser sessions: true sets the refresh token as an HttpOnly cookie (Path=/api) and leaves `refresh` out of the answer' }))
}, { additionalProperties: false, description: 'Either `email` or `username`, and the password', examples: [{ email: example.email, password: example.password }] })
export type LoginInput = Static<typeof LoginBody>

export const TokenPair = Type.Object({
  access: Type.String({ maxLength: 4096 }),
  refresh: Type.Optional(Type.String({ maxLength: 4096, description: 'Absent in cookie mode: the refresh token is then in the HttpOnly cookie' })),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ minimum: 1, description: 'Seconds the access token lives' }),
  refreshExpiresIn: Type.Integer({ minimum: 1, description: 'Seconds the refresh token lives' })
}, { additionalProperties: false })
export type TokenPairView = Static<typeof TokenPair>

export const RefreshBody = Type.Object({
  refresh: Type.Optional(JwtString)
}, { additionalProperties: false, description: 'Optional in cookie mode: without `refresh`, the refresh cookie is used (from an allowed Origin only)', examples: [{ refresh: example.refresh }] })

export const VerifyTokenBody = Type.Object({ token: JwtString }, { additionalProperties: false, examples: [{ token: example.access }] })
export const TokenValid = Type.Object({
  valid: Type.Literal(true),
  userId: Id,
  expiresAt: Timestamp
}, { additionalProperties: false })

export const LogoutBody = Type.Object({
  refresh: Type.Optional(JwtString)
}, { additionalProperties: false, description: 'Optional; `refresh` (or, without it, the refresh cookie from an allowed Origin) ends that session too', examples: [{ refresh: example.refresh }] })

export const ChangePasswordBody = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 32, description: 'The code from the email' }),
  currentPassword: AnyPassword,
  newPassword: Password
}, { additionalProperties: false, examples: [{ code: example.emailCode, currentPassword: example.password, newPassword: example.newPassword }] })
export type ChangePasswordInput = Static<typeof ChangePasswordBody>

export const ResetConfirmBody = Type.Object({
  token: LinkToken,
  newPassword: Password
}, { additionalProperties: false, examples: [{ token: example.resetToken, newPassword: example.newPassword }] })
export type ResetConfirmInput = Static<typeof ResetConfirmBody>
