import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's Chromium, which `.ci/run` installs; `CHROMIUM_PATH` points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * A headless Chromium with a throwaway profile, closed and removed at the test's end. Asserts first that
 * the browser is there, so a missing one fails the test rather than skipping it.
 */
export async function launchChromium (t: Pick<Test, 'ok' | 'teardown'>): Promise<BrowserContext> {
  t.ok(existsSync(chromiumPath), `Chromium at ${chromiumPath} (.ci/run installs Debian's chromium)`)
  const userDataDir = await mkdtemp(join(tmpdir(), 'bookstore-chromium-'))
  t.teardown(() => rm(userDataDir, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic']
  })
  t.teardown(() => context.close())
  return context
}

/** A loopback port nothing listens on now, so an app can be told its PUBLIC_URL before it listens there. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
