import type { Database } from '../../db/client.js'
import type { StoredFile } from '../../db/schema/index.js'
import { notFound } from '../../lib/problem.js'
import { activeBookExists } from '../catalogue/index.js'
import { findFile } from './repository.js'

export async function fileOr404 (db: Database, id: number): Promise<StoredFile> {
  const file = await findFile(db, id)
  if (file === undefined) throw notFound('File')
  return file
}

/** A `bookId` a file may point at (absent and `null` need no book); 404 otherwise. */
export async function checkBook (db: Database, bookId: number | null | undefined): Promise<void> {
  if (bookId !== undefined && bookId !== null && !(await activeBookExists(db, bookId))) throw notFound('Book')
}
