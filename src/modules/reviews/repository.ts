import { count, desc, eq, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { books, reviews, users } from '../../db/schema/index.js'
import { forbidden, notFound } from '../../lib/problem.js'
import { pageOffset, type Pagination } from '../../schemas/common.js'
import type { Executor } from '../../db/query-helpers.js'
import type { RecordAnswer } from '../../plugins/idempotency.js'
import { activeBook, activeBookExists, ownsOrAdmin, type Caller } from '../catalogue/index.js'
import type { ReviewView } from './schemas.js'

const reviewColumns = {
  id: reviews.id,
  bookId: reviews.bookId,
  userId: users.id,
  username: users.username,
  rating: reviews.rating,
  comment: reviews.comment,
  createdAt: reviews.createdAt,
  updatedAt: reviews.updatedAt
}

const selectReviews = (db: Executor) => db.select(reviewColumns).from(reviews).innerJoin(users, eq(users.id, reviews.userId))

type ReviewRow = Awaited<ReturnType<typeof selectReviews>>[number]

function toReviewView ({ userId, username, createdAt, updatedAt, ...review }: ReviewRow): ReviewView {
  return { ...review, user: { id: userId, username }, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() }
}

/** Blank comments are no comments. */
export const normalizeComment = (comment: string | null | undefined): string | null =>
  comment === undefined || comment === null || comment.trim() === '' ? null : comment

async function findReviewView (db: Executor, id: number): Promise<ReviewView> {
  const [row] = await selectReviews(db).where(eq(reviews.id, id))
  if (row === undefined) throw notFound('Review')
  return toReviewView(row)
}

/**
 * Moves a book's review aggregates by a relative amount, in the caller's transaction; `averageRating`
 * is a generated column over them. The book's `updatedAt` is left alone: a review is not an edit of it.
 */
async function moveRatings (tx: Executor, bookId: number, ratingDelta: number, countDelta: number) {
  const [result] = await tx.update(books).set({
    ratingSum: sql`${books.ratingSum} + ${ratingDelta}`,
    reviewCount: sql`${books.reviewCount} + ${countDelta}`,
    updatedAt: sql`${books.updatedAt}`
  }).where(activeBook(bookId))
  return result.affectedRows
}

/**
 * Adds the review and its rating to the book in one transaction. The book row is updated (and so
 * locked) first: 404 when it is missing or deleted; the unique key (user, book) answers ALREADY_REVIEWED.
 */
/** Creates a review; its answer is read and recorded (for an Idempotency-Key's retry) in the same transaction. */
export async function createReview (db: Database, userId: number, bookId: number, rating: number, comment: string | null, record: RecordAnswer): Promise<ReviewView> {
  return await db.transaction(async (tx) => {
    if (await moveRatings(tx, bookId, rating, 1) === 0) throw notFound('Book')
    const [created] = await tx.insert(reviews).values({ userId, bookId, rating, comment }).$returningId()
    if (created === undefined) throw new Error('review insert returned no id')
    const view = await findReviewView(tx, created.id)
    await record(tx, view)
    return view
  })
}

/** A page of an active book's reviews, newest first (id breaks ties). */
export async function listReviews (db: Database, bookId: number, pagination: Pagination) {
  if (!await activeBookExists(db, bookId)) throw notFound('Book')
  const [rows, [total]] = await Promise.all([
    selectReviews(db)
      .where(eq(reviews.bookId, bookId))
      .orderBy(desc(reviews.createdAt), desc(reviews.id))
      .limit(pagination.pageSize)
      .offset(pageOffset(pagination)),
    db.select({ count: count() }).from(reviews).where(eq(reviews.bookId, bookId))
  ])
  return { items: rows.map(toReviewView), total: total?.count ?? 0 }
}

/**
 * The review, locked for this transaction with its book, if the book is active. Locks are taken in
 * the order every review write uses (book row, then review row), so concurrent writes wait, never deadlock.
 */
async function lockReview (tx: Executor, id: number) {
  // A review never moves to another book, so its book id can be read before locking.
  const [target] = await tx.select({ bookId: reviews.bookId }).from(reviews).where(eq(reviews.id, id))
  if (target === undefined) throw notFound('Review')
  const [book] = await tx.select({ id: books.id }).from(books).where(activeBook(target.bookId)).for('update')
  if (book === undefined) throw notFound('Review')
  const [review] = await tx.select({ userId: reviews.userId, bookId: reviews.bookId, rating: reviews.rating })
    .from(reviews).where(eq(reviews.id, id)).for('update')
  if (review === undefined) throw notFound('Review')
  return review
}

/** Only its author edits a review (an admin may delete it, not rewrite it). */
export async function updateReview (db: Database, id: number, caller: Caller, rating: number, comment: string | null): Promise<ReviewView> {
  await db.transaction(async (tx) => {
    const review = await lockReview(tx, id)
    if (review.userId !== caller.userId) throw forbidden('Only the author of a review may edit it')
    await tx.update(reviews).set({ rating, comment }).where(eq(reviews.id, id))
    if (rating !== review.rating) await moveRatings(tx, review.bookId, rating - review.rating, 0)
  })
  return findReviewView(db, id)
}

export async function deleteReview (db: Database, id: number, caller: Caller): Promise<void> {
  await db.transaction(async (tx) => {
    const review = await lockReview(tx, id)
    if (!ownsOrAdmin(caller, review.userId)) throw forbidden('Only the author of a review or an admin may delete it')
    await tx.delete(reviews).where(eq(reviews.id, id))
    await moveRatings(tx, review.bookId, -review.rating, -1)
  })
}
