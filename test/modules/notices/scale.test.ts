import { count, countDistinct, eq, sql } from 'drizzle-orm'
import t from 'tap'
import { emailOutbox, notices } from '../../../src/db/schema/index.js'
import { noticeBatchSize } from '../../../src/modules/notices/job.js'
import { candidatesQuery, dueCondition, lockBorrows } from '../../../src/modules/notices/repository.js'
import { build, createBook, createBorrows, createTestDatabase, createUser, type BorrowRow } from '../../helpers/index.js'

const day = 86_400_000

t.test('more overdue borrows than a batch, two instances at once: every one noticed once, through the open-due index', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const apps = [await build(t, { databaseUrl }), await build(t, { databaseUrl })] as const
  const [a] = apps
  const owner = await createUser(a)
  const readers = await Promise.all(Array.from({ length: 40 }, () => createUser(a)))
  const shelf = await Promise.all(Array.from({ length: 30 }, () => createBook(a, { ownerId: owner.id, copies: 100 })))
  const now = Date.now()
  const overdue: BorrowRow[] = readers.flatMap((reader) => shelf.map((book) =>
    ({ userId: reader.id, bookId: book.id, borrowedAt: new Date(now - 20 * day), dueAt: new Date(now - 6 * day) })))
  // Returned borrows, overdue when they were open, far outnumber the open ones, as in any library's history.
  const history: BorrowRow[] = Array.from({ length: 5000 }, (_, i) => ({
    userId: readers[i % readers.length]?.id ?? 0,
    bookId: shelf[i % shelf.length]?.id ?? 0,
    borrowedAt: new Date(now - 60 * day),
    dueAt: new Date(now - 46 * day),
    returnedAt: new Date(now - 40 * day)
  }))
  const notYetDue = { userId: owner.id, bookId: shelf[0]?.id ?? 0, borrowedAt: new Date(now), dueAt: new Date(now + 5 * day) }
  const ids = await createBorrows(a, [...overdue, ...history, notYetDue])
  t.ok(overdue.length > 2 * noticeBatchSize, `${overdue.length} overdue borrows: more than two batches of ${noticeBatchSize}`)

  await Promise.all(apps.map((app) => app.scheduler.runNow('notices')))
  const [noticed] = await a.db.select({ n: count(), borrows: countDistinct(notices.borrowId) }).from(notices).where(eq(notices.kind, 'overdue'))
  t.same(noticed, { n: overdue.length, borrows: overdue.length }, 'one overdue notice per open overdue borrow')
  const [emails] = await a.db.select({ n: count(), distinct: countDistinct(sql`concat(${emailOutbox.recipient}, ${emailOutbox.subject})`) })
    .from(emailOutbox).where(eq(emailOutbox.kind, 'overdue'))
  t.same(emails, { n: overdue.length, distinct: overdue.length }, 'one email each, no duplicates')
  t.equal((await a.db.select().from(notices).where(eq(notices.kind, 'due_soon'))).length, 0, 'the borrow due in 5 days is not due soon (DUE_SOON_DAYS=2)')

  await Promise.all(apps.map((app) => app.scheduler.runNow('notices')))
  const [again] = await a.db.select({ n: count() }).from(emailOutbox)
  t.equal(again?.n, overdue.length, 'a second run writes nothing')

  // The plan of the candidates query: a range of the (returned_at, due_at) index, so no returned
  // borrow is read, and one unique-key lookup in `notices` per open borrow (never a read of the
  // notices of borrows long returned, which a NOT EXISTS subquery got materialised into).
  await a.pool.query('analyze table borrows, notices')
  const query = candidatesQuery(a.db, 'overdue', dueCondition('overdue', new Date(), 2), noticeBatchSize).toSQL()
  const [plan] = await a.pool.query(`explain ${query.sql}`, query.params)
  const rows = plan as Array<{ table: string, type: string, key: string | null, rows: number }>
  t.comment(JSON.stringify(rows.map(({ table, type, key, rows }) => ({ table, type, key, rows }))))
  const borrowsStep = rows.find((row) => row.table === 'borrows')
  t.equal(borrowsStep?.key, 'borrows_open_due_idx', 'borrows read through the open-due index')
  t.ok((borrowsStep?.rows ?? Infinity) < history.length, 'the estimate stays below the returned borrows')
  const noticesStep = rows.find((row) => row.table === 'notices')
  t.match(noticesStep, { type: 'eq_ref', key: 'notices_kind_borrow_unique' }, 'notices looked up by their unique key, one row per borrow')

  // A batch locks its borrows by primary key: no other open borrow is locked with them.
  const lock = lockBorrows(a.db, ids.slice(0, noticeBatchSize)).toSQL()
  const [lockPlan] = await a.pool.query(`explain ${lock.sql}`, lock.params)
  t.match(lockPlan, [{ table: 'borrows', key: 'PRIMARY' }], 'the lock reads the primary key only')
})
