import t from 'tap'
import { connectDatabase } from '../../src/db/client.js'
import { problemFromDatabaseError } from '../../src/db/errors.js'
import { createTestDatabase } from '../helpers/index.js'

const url = await createTestDatabase(t)

async function failureOf (work: Promise<unknown>): Promise<unknown> {
  try {
    await work
  } catch (error) {
    return error
  }
  throw new Error('expected a failure')
}

t.test('a rollback on a connection the server closed is 503 SERVICE_UNAVAILABLE, not 500', async (t) => {
  const { pool } = connectDatabase(url, { timeoutMs: 1000 })
  t.teardown(() => pool.end())
  const connection = await pool.getConnection()
  const [[row]] = await connection.query<Array<{ id: number } & import('mysql2').RowDataPacket>>('select connection_id() as id')
  const { pool: admin } = connectDatabase(url)
  t.teardown(() => admin.end())
  await admin.query(`kill ${Number(row?.id)}`)
  t.equal(problemFromDatabaseError(await failureOf(connection.query('select 1')))?.code, 'SERVICE_UNAVAILABLE', 'the lost connection')
  const rollback = await failureOf(connection.query('rollback'))
  t.match(rollback, { message: /closed state/ })
  t.match(problemFromDatabaseError(rollback), { code: 'SERVICE_UNAVAILABLE', headers: { 'retry-after': String } })
})

t.test('a full pool queue is 503 at once', async (t) => {
  const { pool } = connectDatabase(url, { connectionLimit: 1, timeoutMs: 5000 })
  t.teardown(() => pool.end())
  const held = await pool.getConnection()
  const waiting = Array.from({ length: 20 }, () => pool.getConnection().then((connection) => { connection.release() }))
  const started = performance.now()
  t.equal(problemFromDatabaseError(await failureOf(pool.query('select 1')))?.code, 'SERVICE_UNAVAILABLE')
  t.ok(performance.now() - started < 1000, 'refused without waiting')
  held.release()
  await Promise.all(waiting)
})

t.test('a deadlock victim (what survives retryOnDeadlock, or a transaction without it) is 503 with Retry-After, not 500', async (t) => {
  const { pool } = connectDatabase(url, { timeoutMs: 10_000 })
  t.teardown(() => pool.end())
  await pool.query('create table deadlock_probe (id int primary key, n int not null)')
  await pool.query('insert into deadlock_probe values (1, 0), (2, 0)')
  const [first, second] = await Promise.all([pool.getConnection(), pool.getConnection()])
  t.teardown(() => { first.release(); second.release() })
  for (const [connection, id] of [[first, 1], [second, 2]] as const) {
    await connection.query('begin')
    await connection.query('update deadlock_probe set n = n + 1 where id = ?', [id])
  }
  // Each now wants the row the other holds: InnoDB rolls one back with errno 1213.
  const outcomes = await Promise.allSettled([
    first.query('update deadlock_probe set n = n + 1 where id = 2'),
    second.query('update deadlock_probe set n = n + 1 where id = 1')
  ])
  const victims = outcomes.flatMap((outcome) => outcome.status === 'rejected' ? [outcome.reason] : [])
  t.equal(victims.length, 1, 'one transaction was picked')
  t.match(victims[0], { errno: 1213 })
  t.match(problemFromDatabaseError(victims[0]), { code: 'SERVICE_UNAVAILABLE', headers: { 'retry-after': '1' } })
  await Promise.all([first.query('rollback'), second.query('rollback')])
})

t.test('a client hanging up mid-body (ECONNRESET without the driver) is not a database outage', async (t) => {
  const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', errno: -104 })
  t.not(problemFromDatabaseError(aborted)?.code, 'SERVICE_UNAVAILABLE')
})
