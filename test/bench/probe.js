/**
 * Preloaded into the API process by test/bench/run.ts (`node --import ./test/bench/probe.js dist/server.js`).
 * Plain JavaScript on purpose: loading tsx into the measured process would add its loader thread to the RSS.
 * It answers messages over the IPC channel:
 * - `gc`: a full garbage collection, then process.memoryUsage() (what is retained, not garbage);
 * - `loop-delay`: the event-loop delay since the previous ask (a `monitorEventLoopDelay` histogram, reset
 *   after each answer) and process.memoryUsage(), so each scenario shows how long the loop was blocked;
 * - `profile-start` / `profile-stop <file>`: a V8 CPU profile of just one scenario (node:inspector).
 * Knobs for the login-storm comparison, set by run.ts from its flags:
 * - BENCH_HASH_THREADS=N: os.availableParallelism() answers N, so the bcrypt pool gets N threads;
 * - BENCH_HASH_ON_LOOP=<worker file URL>: piscina's run() calls the worker function in the main thread,
 *   i.e. bcrypt back on the event loop as before the pool (the "before" of the comparison).
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { syncBuiltinESMExports } from 'node:module'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const histogram = monitorEventLoopDelay({ resolution: 10 })
histogram.enable()
const ms = (nanoseconds) => Math.round(nanoseconds / 1e4) / 100
let session

const megabytes = () => Object.fromEntries(Object.entries(process.memoryUsage()).map(([key, bytes]) => [key, Math.round(bytes / 1048576)]))

async function handle (message) {
  if (message === 'loop-delay') {
    process.send({ type: 'loop-delay', p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), memory: megabytes() })
    histogram.reset()
  } else if (message === 'gc') {
    // A full collection, to tell retained memory from garbage not yet collected.
    setFlagsFromString('--expose-gc')
    runInNewContext('gc')()
    process.send({ type: 'gc', memory: megabytes() })
  } else if (message === 'profile-start') {
    session ??= new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 500 })
    await session.post('Profiler.start')
    process.send({ type: 'profile-started' })
  } else if (typeof message === 'string' && message.startsWith('profile-stop ') && session !== undefined) {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    await writeFile(message.slice('profile-stop '.length), JSON.stringify(profile))
    process.send({ type: 'profile-stopped' })
  }
}

if (process.send !== undefined) {
  process.on('message', (message) => {
    handle(message).catch((error) => process.send({ type: 'error', message: String(error) }))
  })
  // The channel must not keep the server alive once it is asked to stop.
  process.channel?.unref()
}

const threads = Number(process.env.BENCH_HASH_THREADS)
if (Number.isSafeInteger(threads) && threads > 0) {
  os.availableParallelism = () => threads
  syncBuiltinESMExports()
}

if (process.env.BENCH_HASH_ON_LOOP) {
  const { Piscina } = await import('piscina')
  const worker = import(process.env.BENCH_HASH_ON_LOOP)
  Piscina.prototype.run = async function runOnTheLoop (task) {
    return await (await worker).default(task)
  }
}
