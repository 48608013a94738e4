import type { authors, books, borrows, users } from '../../db/schema/index.js'
import { completeIsbn13 } from '../../modules/books/index.js'

/**
 * What the seed generator writes, decided without a database: every row comes from one seeded
 * pseudo-random sequence, so the same seed gives the same data.
 */

/** The password of every seeded account (development data only). */
export const seedPassword = 'bookstore-seed-password'
/** The seeded admin; every other seeded user is `reader<n>@example.com`. */
export const seedAdminEmail = 'admin@example.com'

export const hour = 3_600_000
export const day = 24 * hour

export type Random = ReturnType<typeof generator>

/** mulberry32: small, fast and good enough for test data. */
export function generator (seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
  const integer = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  return { next, integer, pick }
}

const firstNames = ['Ada', 'Alan', 'Amara', 'Anton', 'Astrid', 'Chinua', 'Clarice', 'Dmitri', 'Elena', 'Elif', 'Gabriel', 'Hanna', 'Haruki', 'Ines', 'Isabel', 'Jorge', 'Kazuo', 'Leila', 'Lucia', 'Mariana', 'Mateo', 'Naguib', 'Nadia', 'Olga', 'Orhan', 'Paulo', 'Priya', 'Rainer', 'Salman', 'Selma', 'Sofia', 'Tomas', 'Ursula', 'Viktor', 'Wisława', 'Yuki', 'Zadie']
const lastNames = ['Achebe', 'Adichie', 'Allende', 'Atwood', 'Borges', 'Calvino', 'Coetzee', 'Duras', 'Eco', 'Ferrante', 'Fuentes', 'Grass', 'Hesse', 'Ishiguro', 'Jansson', 'Kafka', 'Kundera', 'Lessing', 'Lispector', 'Mahfouz', 'Mann', 'Morrison', 'Murakami', 'Nabokov', 'Ondaatje', 'Pamuk', 'Rilke', 'Roy', 'Saramago', 'Sebald', 'Smith', 'Szymborska', 'Tokarczuk', 'Undset', 'Vargas', 'Woolf', 'Yourcenar', 'Zola']
const nationalities = ['American', 'Argentinian', 'Brazilian', 'British', 'Canadian', 'Chilean', 'Colombian', 'Czech', 'Egyptian', 'French', 'German', 'Indian', 'Italian', 'Japanese', 'Mexican', 'Nigerian', 'Norwegian', 'Polish', 'Portuguese', 'Russian', 'South African', 'Swedish', 'Turkish']
const genres = ['Fiction', 'Science fiction', 'Fantasy', 'Mystery', 'Thriller', 'Romance', 'Historical fiction', 'Biography', 'History', 'Poetry', 'Philosophy', 'Science', 'Travel', 'Children', 'Horror']
const adjectives = ['Silent', 'Hidden', 'Last', 'Broken', 'Golden', 'Distant', 'Forgotten', 'Burning', 'Quiet', 'Endless', 'Secret', 'Crimson', 'Wandering', 'Frozen', 'Little', 'Invisible', 'Long', 'Bitter', 'Shining', 'Hollow']
const nouns = ['River', 'Garden', 'City', 'Mirror', 'Winter', 'Library', 'Ocean', 'Mountain', 'Letter', 'House', 'Island', 'Forest', 'Voyage', 'Kingdom', 'Clock', 'Bridge', 'Harbour', 'Night', 'Orchard', 'Lighthouse']
const copyWeights = [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 8]

/** A valid ISBN-13 made from a sequence number: unique per number below a billion. */
export function isbnFor (sequence: number): string {
  return completeIsbn13(`978${String(sequence).padStart(9, '0')}`)
}

/** One seeded reader in twenty has not verified their email (and so borrows nothing). */
export const isUnverified = (index: number) => index % 20 === 19

const dateOf = (year: number, random: Random) =>
  `${year}-${String(random.integer(1, 12)).padStart(2, '0')}-${String(random.integer(1, 28)).padStart(2, '0')}`

/** Where the seeded history lies: three years up to `now`, rows first ids after what is there. */
export interface Frame {
  now: number
  epoch: number
  firstUserId: number
  userCount: number
  firstAuthorId: number
  authorCount: number
}

export function userRow (random: Random, frame: Frame, index: number, passwordHash: string): typeof users.$inferInsert {
  const admin = index === 0
  const verified = admin || !isUnverified(index)
  const createdAt = new Date(frame.epoch - random.integer(0, 60) * day - random.integer(0, day))
  return {
    id: frame.firstUserId + index,
    email: admin ? seedAdminEmail : `reader${index}@example.com`,
    username: admin ? 'admin' : `reader_${index}`,
    passwordHash,
    role: admin ? 'admin' : 'user',
    emailVerifiedAt: verified ? new Date(createdAt.getTime() + random.integer(60_000, day)) : null,
    createdAt,
    updatedAt: createdAt
  }
}

export function authorRow (random: Random, frame: Frame, index: number): typeof authors.$inferInsert {
  const birthdate = dateOf(random.integer(1850, 1995), random)
  const createdAt = new Date(frame.epoch - random.integer(0, 30) * day)
  return {
    id: frame.firstAuthorId + index,
    name: `${random.pick(firstNames)} ${random.pick(lastNames)}`,
    birthdate: random.next() < 0.9 ? birthdate : null,
    nationality: random.next() < 0.85 ? random.pick(nationalities) : null,
    createdAt,
    updatedAt: createdAt
  }
}

/** A book's life and copies, drawn before its row: the copy counters depend on the open borrows. */
export interface PlannedBook {
  id: number
  createdAt: number
  deletedAt: number | null
  totalCopies: number
  open: number
  /** Copies on the hold shelf (a ready hold each), set by the holds plan. */
  held: number
}

export function planBooks (random: Random, frame: Frame, firstBookId: number, count: number): PlannedBook[] {
  const planned: PlannedBook[] = []
  for (let index = 0; index < count; index++) {
    const createdAt = frame.epoch + Math.floor(random.next() * (frame.now - day - frame.epoch))
    const deleted = random.next() < 0.02
    planned.push({
      id: firstBookId + index,
      createdAt,
      deletedAt: deleted ? createdAt + Math.floor(random.next() * (frame.now - createdAt)) : null,
      totalCopies: random.pick(copyWeights),
      open: 0,
      held: 0
    })
  }
  return planned
}

export function bookRow (random: Random, frame: Frame, book: PlannedBook): typeof books.$inferInsert {
  const year = random.integer(1900, 2025)
  return {
    id: book.id,
    title: random.next() < 0.5
      ? `The ${random.pick(adjectives)} ${random.pick(nouns)}`
      : `${random.pick(nouns)} of the ${random.pick(adjectives)} ${random.pick(nouns)}`,
    isbn: isbnFor(book.id),
    genre: random.next() < 0.95 ? random.pick(genres) : null,
    publicationYear: year,
    publicationDate: random.next() < 0.5 ? dateOf(year, random) : null,
    authorId: frame.firstAuthorId + random.integer(0, frame.authorCount - 1),
    ownerId: frame.firstUserId + random.integer(0, frame.userCount - 1),
    totalCopies: book.totalCopies,
    availableCopies: book.totalCopies - book.open - book.held,
    borrowedCopies: book.open,
    heldCopies: book.held,
    deletedAt: book.deletedAt === null ? null : new Date(book.deletedAt),
    createdAt: new Date(book.createdAt),
    updatedAt: new Date(book.deletedAt ?? book.createdAt)
  }
}

/**
 * Every borrow, in typed arrays (about 24 bytes each, so a million fit easily), with `order` listing
 * them oldest first: written in that order, ids follow the borrow dates and the date indexes fill in
 * order. A NaN `returnedAt` is an open borrow.
 */
export interface BorrowPlan {
  userId: Float64Array
  bookId: Float64Array
  borrowedAt: Float64Array
  returnedAt: Float64Array
  order: Uint32Array
  openCount: number
}

export interface BorrowRules {
  count: number
  maxOpenBorrows: number
  loanDays: number
}

/** Popular books and keen readers: a skewed pick makes the statistics worth looking at. */
function skewedPicks (random: Random, frame: Frame, planned: PlannedBook[]) {
  const book = () => planned[Math.floor(random.next() ** 2 * planned.length)] as PlannedBook
  // Borrowers are verified readers (the admin too when alone).
  const user = () => {
    if (frame.userCount === 1) return frame.firstUserId
    let index = 1 + Math.floor(random.next() ** 1.5 * (frame.userCount - 1))
    if (isUnverified(index)) index--
    return frame.firstUserId + (index === 0 ? 1 : index)
  }
  return { book, user }
}

/**
 * Open borrows come first: about 5 % of all, within the copies, the per-user limit and one per user
 * and book (counted into each planned book's `open`). Then returned ones, within each book's life.
 */
export function planBorrows (random: Random, frame: Frame, planned: PlannedBook[], { count, maxOpenBorrows, loanDays }: BorrowRules): BorrowPlan {
  const pick = skewedPicks(random, frame, planned)
  const plan = { userId: new Float64Array(count), bookId: new Float64Array(count), borrowedAt: new Float64Array(count), returnedAt: new Float64Array(count) }
  const openTarget = Math.round(count * 0.05)
  const openPairs = new Set<string>()
  const openByUser = new Map<number, number>()
  let openCount = 0
  for (let attempts = 0; openCount < openTarget && attempts < openTarget * 20; attempts++) {
    const book = pick.book()
    const userId = pick.user()
    const pair = `${userId}:${book.id}`
    if (book.deletedAt !== null || book.open >= book.totalCopies || (openByUser.get(userId) ?? 0) >= maxOpenBorrows || openPairs.has(pair)) continue
    openPairs.add(pair)
    openByUser.set(userId, (openByUser.get(userId) ?? 0) + 1)
    book.open++
    // Mostly recent, some past due.
    const earliest = Math.max(book.createdAt, frame.now - (loanDays + 10) * day)
    plan.userId[openCount] = userId
    plan.bookId[openCount] = book.id
    plan.borrowedAt[openCount] = earliest + Math.floor(random.next() * (frame.now - earliest))
    plan.returnedAt[openCount] = Number.NaN
    openCount++
  }
  for (let index = openCount; index < count; index++) {
    const book = pick.book()
    const end = book.deletedAt ?? frame.now
    // Kept a few hours to a month, never past the book's deletion or now.
    const duration = Math.min(random.integer(2 * hour, 30 * day), Math.floor((end - book.createdAt) / 2))
    const borrowedAt = book.createdAt + Math.floor(random.next() * (end - book.createdAt - duration))
    plan.userId[index] = pick.user()
    plan.bookId[index] = book.id
    plan.borrowedAt[index] = borrowedAt
    plan.returnedAt[index] = borrowedAt + duration
  }
  const order = new Uint32Array(count).map((_, index) => index)
    .sort((a, b) => (plan.borrowedAt[a] ?? 0) - (plan.borrowedAt[b] ?? 0))
  return { ...plan, order, openCount }
}

/**
 * Some loans were renewed: one in 7 once, one in 29 twice (the MAX_RENEWALS default), each renewal
 * adding LOAN_DAYS to the due date. Taken from the borrow's index, so the random stream (and with it
 * the rest of a seeded run) stays as it was; renewals move no copy.
 */
const renewalsOf = (index: number) => index % 29 === 0 ? 2 : index % 7 === 0 ? 1 : 0

export function borrowRow (plan: BorrowPlan, position: number, loanDays: number): typeof borrows.$inferInsert {
  const index = plan.order[position] ?? 0
  const borrowedAt = plan.borrowedAt[index] ?? 0
  const returnedAt = plan.returnedAt[index] ?? Number.NaN
  const renewalCount = renewalsOf(index)
  return {
    userId: plan.userId[index] ?? 0,
    bookId: plan.bookId[index] ?? 0,
    borrowedAt: new Date(borrowedAt),
    dueAt: new Date(borrowedAt + (1 + renewalCount) * loanDays * day),
    returnedAt: Number.isNaN(returnedAt) ? null : new Date(returnedAt),
    renewalCount
  }
}
