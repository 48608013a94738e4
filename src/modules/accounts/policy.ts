import { invalidRequest } from '../../lib/problem.js'
import { checkPasswordPolicy } from './passwords.js'

/** 400 VALIDATION_FAILED, with one error per broken rule at `path`, when the password breaks the policy. */
export function assertPasswordPolicy (password: string, email: string, path: string): void {
  const problems = checkPasswordPolicy(password, email)
  if (problems.length === 0) return
  throw invalidRequest(problems.map((message) => ({ path, message })), `The password ${problems.join('; ')}`)
}
