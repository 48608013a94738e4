/**
 * Resolves as soon as `condition` holds (checked every `intervalMs`), or after `timeoutMs` anyway: the
 * assertions that follow then say what did not happen. For events the app offers no promise of, such
 * as a file swept from disk or a line in a child's log; never a fixed sleep.
 */
export async function waitUntil (condition: () => boolean | Promise<boolean>, { timeoutMs = 5000, intervalMs = 10 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, intervalMs))
}
