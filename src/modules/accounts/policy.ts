import { ApiError } from '../../lib/problem.js'
import { checkPasswordPolicy } from './passwords.js'

/** 400 VALIDATION_FAILED, with one error per broken rule at `path`, when the password breaks the policy. */
export function assertPasswordPolicy (password: string, email: string, path: string): void {
  const problems = checkPasswordPolicy(password, email)
  if (problems.length === 0) return
  throw new ApiError('VALIDATION_FAILED', `The password ${problems.join('; ')}`, {
    errors: problems.map((message) => ({ path, message }))
  })
}
