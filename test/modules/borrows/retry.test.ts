import t from 'tap'
import { retryOnDeadlock } from '../../../src/db/query-helpers.js'
import { parseInstant } from '../../../src/schemas/instants.js'

const deadlock = () => Object.assign(new Error('Failed query'), { cause: Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 }) })

t.test('retryOnDeadlock runs a deadlocked transaction again, a few times at most', async (t) => {
  let calls = 0
  t.equal(await retryOnDeadlock(async () => {
    calls++
    if (calls < 3) throw deadlock()
    return 'done'
  }), 'done')
  t.equal(calls, 3)

  calls = 0
  await t.rejects(retryOnDeadlock(async () => { calls++; throw deadlock() }), /Failed query/)
  t.equal(calls, 4, 'gives up after four attempts')

  calls = 0
  await t.rejects(retryOnDeadlock(async () => { calls++; throw new Error('other') }), /other/)
  t.equal(calls, 1, 'other errors are not retried')
})

t.test('parseInstant', async (t) => {
  t.equal(parseInstant('2025-01-31')?.toISOString(), '2025-01-31T00:00:00.000Z')
  t.equal(parseInstant('2025-01-31T12:30')?.toISOString(), '2025-01-31T12:30:00.000Z')
  t.equal(parseInstant('2025-01-31T12:30:15.123456Z')?.toISOString(), '2025-01-31T12:30:15.123Z')
  t.equal(parseInstant('2025-01-31T12:30:00-0130')?.toISOString(), '2025-01-31T14:00:00.000Z')
  t.equal(parseInstant('2025-01-31T12:30:00 02:00')?.toISOString(), '2025-01-31T10:30:00.000Z', 'a + decoded as a space')
  t.equal(parseInstant('2024-02-29')?.toISOString(), '2024-02-29T00:00:00.000Z')
  t.equal(parseInstant('0001-01-01')?.toISOString(), '0001-01-01T00:00:00.000Z', 'years below 100 are not read as 19xx')
  t.equal(parseInstant('0099-12-31T23:59:59Z')?.toISOString(), '0099-12-31T23:59:59.000Z')
  for (const bad of ['2023-02-29', '2025-04-31', '2025-00-10', '2025-01-01T24:00:00Z', '2025-01-01T10:60Z', '2025-01-01T10:00:00+24:00', '20250101', '2025-01-01T10:00:00ZZ']) {
    t.equal(parseInstant(bad), undefined, bad)
  }
})
