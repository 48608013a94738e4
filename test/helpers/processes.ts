import { spawn, type ChildProcess } from 'node:child_process'
import type { Test } from 'tap'
import { testJwtSecret } from './build.js'

/**
 * The environment of a child process that runs our sources through tsx. tap records coverage in every
 * process it starts; a child's tsx output of a file differs from the ts-node output the test process
 * has of the same file, c8 cannot merge the two, and which one wins the report depends on file order
 * (a run could lose the coverage of every file at random). So children record none.
 */
export function childEnv (overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0', ...overrides }
}

export interface ServerProcess {
  child: ChildProcess
  port: number
  /** Everything the server printed so far. */
  output: () => string
}

const listening = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/

/**
 * Starts `src/server.ts` as `npm start` would after its build, on a free port, and resolves once it
 * listens; killed when the test ends.
 */
export async function startServerProcess (t: Test, databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: childEnv({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, JWT_SECRET: testJwtSecret, LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    const collect = (chunk: Buffer) => {
      output += String(chunk)
      const match = listening.exec(output)
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(Number(match[1])) }
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${String(code)}:\n${output}`)) })
  })
  return { child, port, output: () => output }
}
