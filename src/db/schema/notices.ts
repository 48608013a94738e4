import { sql } from 'drizzle-orm'
import { check, mysqlEnum, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core'
import { borrows } from './borrows.js'
import { createdAt, id, ref } from './columns.js'

/** The notices about a borrow. Notices about another subject (a hold) add their kinds and a column of their own. */
export const borrowNoticeKinds = ['due_soon', 'overdue'] as const

/**
 * Each notice emailed, one row per subject and kind: the unique key is what makes a notice go out at
 * most once however many instances look for it. `borrow_id` is nullable so other subjects can have
 * rows here without a borrow (NULLs never collide in a unique key).
 */
export const notices = mysqlTable('notices', {
  id: id(),
  kind: mysqlEnum(borrowNoticeKinds).notNull(),
  borrowId: ref().references(() => borrows.id, { onDelete: 'cascade' }),
  createdAt: createdAt()
}, (table) => [
  uniqueIndex('notices_kind_borrow_unique').on(table.kind, table.borrowId),
  check('notices_borrow_kinds_name_a_borrow', sql`${table.kind} not in ('due_soon', 'overdue') or ${table.borrowId} is not null`)
])

export type NoticeKind = typeof notices.$inferSelect['kind']
