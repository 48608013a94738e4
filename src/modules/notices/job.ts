import type { FastifyInstance } from 'fastify'
import { borrowNoticeKinds, type NoticeKind } from '../../db/schema/index.js'
import { candidatesQuery, dueCondition, writeNotices } from './repository.js'

/** Borrows handled per transaction: short locks, and a bounded outbox write. */
export const noticeBatchSize = 500

/**
 * One pass: for each kind, batches of the borrows owed that notice until none is left. A batch that
 * wrote nothing (all taken by another instance meanwhile) ends the kind's pass; the next tick goes on.
 * Closing the app stops it between batches. Returns how many notices of each kind it wrote.
 */
export async function sendNotices (app: FastifyInstance, signal: AbortSignal, now = new Date()): Promise<Record<NoticeKind, number>> {
  const written: Record<NoticeKind, number> = { due_soon: 0, overdue: 0 }
  for (const kind of borrowNoticeKinds) {
    const due = dueCondition(kind, now, app.config.DUE_SOON_DAYS)
    while (!signal.aborted) {
      const ids = (await candidatesQuery(app.db, kind, due, noticeBatchSize)).map((row) => row.id)
      if (ids.length === 0) break
      const count = await writeNotices(app.mailer, kind, due, ids)
      written[kind] += count
      if (count === 0 || ids.length < noticeBatchSize) break
    }
  }
  return written
}
