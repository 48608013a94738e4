import { count, desc, eq, inArray } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { files, type StoredFile } from '../../db/schema/index.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'

export interface NewFileRow {
  ownerId: number
  bookId: number | null
  filename: string
  size: number
  sha256: string
  storageKey: string
}

export interface NewContent {
  filename: string
  size: number
  sha256: string
  storageKey: string
}

export async function findFile (db: Database, id: number): Promise<StoredFile | undefined> {
  const [row] = await db.select().from(files).where(eq(files.id, id))
  return row
}

/** A page of files, newest first; only `ownerId`'s when given. */
export async function listFiles (db: Database, { ownerId }: { ownerId?: number }, pagination: Pagination) {
  const where = ownerId === undefined ? undefined : eq(files.ownerId, ownerId)
  const [rows, [totals]] = await Promise.all([
    db.select().from(files).where(where)
      .orderBy(desc(files.createdAt), desc(files.id))
      .limit(pagination.pageSize)
      .offset(pageOffset(pagination)),
    db.select({ total: count() }).from(files).where(where)
  ])
  return { rows, total: totals?.total ?? 0 }
}

export async function insertFile (db: Database, values: NewFileRow): Promise<number> {
  const [result] = await db.insert(files).values({ ...values, contentType: 'application/pdf' }).$returningId()
  if (result === undefined) throw new Error('file insert returned no id')
  return result.id
}

/**
 * Points the row at new bytes. Locks the row so that, of concurrent replacements, each one learns
 * the key it actually replaced (and removes exactly those bytes). `undefined` when the row is gone.
 */
export async function replaceContent (db: Database, id: number, content: NewContent): Promise<{ previousKey: string } | undefined> {
  return await db.transaction(async (tx) => {
    const [current] = await tx.select({ storageKey: files.storageKey }).from(files).where(eq(files.id, id)).for('update')
    if (current === undefined) return undefined
    await tx.update(files).set(content).where(eq(files.id, id))
    return { previousKey: current.storageKey }
  })
}

export async function updateFile (db: Database, id: number, changes: { filename?: string, bookId?: number | null }): Promise<void> {
  if (Object.keys(changes).length === 0) return
  await db.update(files).set(changes).where(eq(files.id, id))
}

/**
 * Deletes the row after `allow` has approved it under a row lock, so the key returned is the one
 * the row held at the end (a concurrent replacement cannot leave its bytes behind).
 */
export async function deleteFile (db: Database, id: number, allow: (row: StoredFile) => void): Promise<StoredFile | undefined> {
  return await db.transaction(async (tx) => {
    const [row] = await tx.select().from(files).where(eq(files.id, id)).for('update')
    if (row === undefined) return undefined
    allow(row)
    await tx.delete(files).where(eq(files.id, id))
    return row
  })
}

/** Which of `keys` some row still points at. */
export async function referencedKeys (db: Database, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  const rows = await db.select({ key: files.storageKey }).from(files).where(inArray(files.storageKey, keys))
  return new Set(rows.map((row) => row.key))
}
