import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import t from 'tap'
import { loggerOptions } from '../../src/lib/logging.js'
import { build, waitUntil } from '../helpers/index.js'

/** A promise and the function that settles it. */
function deferred () {
  let settle: () => void = () => {}
  const promise = new Promise<void>((resolve) => { settle = resolve })
  return { promise, resolve: () => { settle() } }
}

t.test('a job runs on its own interval, never overlapping itself, however it is triggered', async (t) => {
  let running = 0
  let mostAtOnce = 0
  let runs = 0
  const thirdRun = deferred()
  const app = await build(t, {
    routes: (app) => {
      app.scheduler.every('tick', 20, async () => {
        running++
        mostAtOnce = Math.max(mostAtOnce, running)
        await app.db.execute(sql`select sleep(0.01)`)
        running--
        if (++runs === 3) thirdRun.resolve()
      })
    }
  })
  await thirdRun.promise
  t.pass('the timer ran the job three times on its own')
  await Promise.all([app.scheduler.runNow('tick'), app.scheduler.runNow('tick'), app.scheduler.runNow('tick')])
  t.ok(runs >= 6, 'each runNow ran it once more')
  t.equal(mostAtOnce, 1, 'never two runs at once')
  await t.rejects(app.scheduler.runNow('nothing'), /no job named nothing/)
  t.throws(() => { app.scheduler.every('tick', 20, async () => {}) }, /already scheduled/)
})

t.test('a failing job is logged and runs again at its next tick; runNow reports the error', async (t) => {
  const lines: Array<{ level: number, msg: string, job?: string }> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as typeof lines[number])
      done()
    }
  })
  let failing = true
  const recovered = deferred()
  const app = await build(t, {
    logger: pino(loggerOptions('info'), stream),
    routes: (app) => {
      app.scheduler.every('flaky', 20, async () => {
        if (failing) await app.db.execute(sql`select * from no_such_table`)
        recovered.resolve()
      })
    }
  })
  const failures = () => lines.filter((line) => line.msg === 'scheduled job failed')
  await t.rejects(app.scheduler.runNow('flaky'), /no_such_table/, 'runNow rejects with the failure')
  await waitUntil(() => failures().length >= 3)
  t.ok(failures().length >= 3, 'the timer kept running the job after it failed')
  t.ok(failures().every((line) => line.level === 50 && line.job === 'flaky'), 'each failure logged at error level, naming the job')
  failing = false
  await recovered.promise
  t.pass('and it succeeds once the fault is gone')
})

t.test('closing the app aborts the signal and waits for the run in progress, which still has its database', async (t) => {
  const events: string[] = []
  const app = await build(t, {
    routes: (app) => {
      app.scheduler.every('long', 60_000, async (signal) => {
        events.push('started')
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
        await app.db.execute(sql`select 1`)
        events.push('finished')
      })
    }
  })
  const run = app.scheduler.runNow('long')
  await app.close()
  events.push('closed')
  await run
  t.same(events, ['started', 'finished', 'closed'])
})
