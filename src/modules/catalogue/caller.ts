import type { AuthContext } from '../../plugins/auth.js'

/** Who is asking, as the auth hooks established: all that ownership and admin checks look at. */
export type Caller = Pick<AuthContext, 'userId' | 'role'>

/** Owners change their own resources; admins change anyone's. */
export const ownsOrAdmin = (caller: Caller, ownerId: number) => caller.role === 'admin' || caller.userId === ownerId
