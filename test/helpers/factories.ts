/**
 * The one place tests make their data: users, authors, books, borrows and files, straight in the
 * database (fast, any state, even one no route would produce) or through the API (the real path, with
 * its side effects). Every value a test does not name is made unique, so tests in one file never collide.
 */
import { randomBytes } from 'node:crypto'
import bcrypt from 'bcryptjs'
import type { FastifyInstance } from 'fastify'
import { authors, books, borrows, users, type User } from '../../src/db/schema/index.js'
import type { BookView } from '../../src/modules/catalogue/index.js'
import { normalizeIsbn } from '../../src/modules/books/isbn.js'
import { firstLink, type Mail } from './mail.js'
import { multipartBody, pdfBytes } from './multipart.js'

const unique = () => randomBytes(4).toString('hex')

// Users ------------------------------------------------------------------------------------------

/** The password of every user made by `createUser`. */
export const testPassword = 'correct horse battery staple'
/** Passwords the registration policy accepts (`testPassword` is too guessable for it). */
export const strongPassword = 'Tangerine-Kayak-Lantern-42'
export const otherStrongPassword = 'Marmalade-Zeppelin-Quartz-17'
// A low cost keeps tests fast; verification works the same at any cost.
const testPasswordHash = bcrypt.hashSync(testPassword, 4)

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export interface TestUser {
  id: number
  email: string
  username: string
  role: User['role']
  /** An access token of the user's, and the header that carries it. */
  token: string
  headers: { authorization: string }
}

export interface UserOptions {
  /** `admin` for an administrator; `user` unless given. */
  role?: User['role']
  /** `false` for an account whose email is not verified yet. */
  verified?: boolean
  email?: string
  username?: string
}

/** A user in the database (verified, role `user` unless told), with a signed access token. */
export async function createUser (app: FastifyInstance, { role = 'user', verified = true, email, username }: UserOptions = {}): Promise<TestUser> {
  const suffix = unique()
  const values = {
    email: email ?? `user-${suffix}@example.com`,
    username: username ?? `user_${suffix}`,
    passwordHash: testPasswordHash,
    role,
    emailVerifiedAt: verified ? new Date() : null
  }
  const [result] = await app.db.insert(users).values(values).$returningId()
  if (result === undefined) throw new Error('user insert returned no id')
  const { token } = app.tokens.sign('access', { userId: result.id, tokenVersion: 0 })
  return { id: result.id, email: values.email, username: values.username, role, token, headers: bearer(token) }
}

export interface Registered {
  id: number
  email: string
  password: string
}

/** A user made through the API: registers, then follows the link the email brought. */
export async function registerUser (app: FastifyInstance, mail: Mail, { email, password = strongPassword, username }: { email: string, password?: string, username?: string }): Promise<Registered> {
  const since = mail.stub.emails.length
  const response = await app.inject({ method: 'POST', url: '/api/register', payload: { email, password, ...(username === undefined ? {} : { username }) } })
  if (response.statusCode !== 201) throw new Error(`register answered ${response.statusCode}: ${response.body}`)
  const sent = await mail.next(email.toLowerCase(), /confirm/i, since)
  const verified = await app.inject({ method: 'GET', url: new URL(firstLink(sent.text)).pathname })
  if (verified.statusCode !== 200) throw new Error(`verify answered ${verified.statusCode}: ${verified.body}`)
  return { id: response.json<{ id: number }>().id, email: email.toLowerCase(), password }
}

export interface Pair {
  access: string
  refresh: string
}

/** A token pair from `POST /api/token`. */
export async function login (app: FastifyInstance, email: string, password: string): Promise<Pair> {
  const response = await app.inject({ method: 'POST', url: '/api/token', payload: { email, password } })
  if (response.statusCode !== 200) throw new Error(`login answered ${response.statusCode}: ${response.body}`)
  return response.json<Pair>()
}

// Authors and books ------------------------------------------------------------------------------

/** An author in the database. */
export async function createAuthor (app: FastifyInstance, name = `Author ${unique()}`): Promise<{ id: number, name: string }> {
  const [row] = await app.db.insert(authors).values({ name }).$returningId()
  if (row === undefined) throw new Error('author insert returned no id')
  return { id: row.id, name }
}

/**
 * A random ISBN-13 the catalogue accepts: twelve random digits and, of the ten possible last digits,
 * the one `normalizeIsbn` takes, so the check-digit rule lives only in `src`.
 */
export function isbn (): string {
  const first12 = `978${Array.from(randomBytes(9), (byte) => byte % 10).join('')}`
  for (let digit = 0; digit < 10; digit++) {
    if (normalizeIsbn(`${first12}${digit}`) !== undefined) return `${first12}${digit}`
  }
  throw new Error(`no check digit makes ${first12} an ISBN`)
}

export interface BookOptions {
  ownerId: number
  /** Total copies, all on the shelf. */
  copies?: number
  genre?: string | null
  /** A new author unless given. */
  authorId?: number
  title?: string
  /** Soft-deleted. */
  deleted?: boolean
}

/** A book in the database, every copy available (soft-deleted when `deleted`). */
export async function createBook (app: FastifyInstance, { ownerId, copies = 1, genre = 'Fiction', authorId, title, deleted = false }: BookOptions) {
  const values = {
    title: title ?? `Book ${unique()}`,
    isbn: isbn(),
    genre,
    publicationYear: 2001,
    authorId: authorId ?? (await createAuthor(app)).id,
    ownerId,
    totalCopies: copies,
    availableCopies: copies,
    deletedAt: deleted ? new Date() : null
  }
  const [row] = await app.db.insert(books).values(values).$returningId()
  if (row === undefined) throw new Error('book insert returned no id')
  return { id: row.id, ...values }
}

let posted = 0

/** A book made through `POST /api/books` as `user` (author "Test Author" unless given); `payload` overrides any field. */
export async function postBook (app: FastifyInstance, user: TestUser, payload: Record<string, unknown> = {}): Promise<BookView> {
  posted += 1
  const body = {
    title: `Book ${posted}`,
    isbn: isbn(),
    publicationYear: 2000,
    ...(payload.authorId === undefined && payload.author === undefined ? { author: 'Test Author' } : {}),
    ...payload
  }
  const response = await app.inject({ method: 'POST', url: '/api/books', headers: user.headers, payload: body })
  if (response.statusCode !== 201) throw new Error(`postBook: ${response.statusCode} ${response.body}`)
  return response.json<BookView>()
}

// Borrows ----------------------------------------------------------------------------------------

export interface BorrowRow {
  userId: number
  bookId: number
  borrowedAt: Date
  /** Open unless given. */
  returnedAt?: Date | null
  /** `LOAN_DAYS` (14) after `borrowedAt` unless given. */
  dueAt?: Date
}

const loanMs = 14 * 24 * 3600e3

/**
 * Borrows in the database, with the dates a test chooses (history, statistics, overdue lists); the
 * books' copy counters are left as they are. Returns their ids, in order.
 */
export async function createBorrows (app: FastifyInstance, rows: BorrowRow[]): Promise<number[]> {
  const ids: number[] = []
  for (let i = 0; i < rows.length; i += 100) {
    const values = rows.slice(i, i + 100).map(({ userId, bookId, borrowedAt, returnedAt = null, dueAt }) =>
      ({ userId, bookId, borrowedAt, returnedAt, dueAt: dueAt ?? new Date(borrowedAt.getTime() + loanMs) }))
    ids.push(...(await app.db.insert(borrows).values(values).$returningId()).map((row) => row.id))
  }
  return ids
}

/** One borrow in the database (see `createBorrows`); returns its id. */
export async function createBorrow (app: FastifyInstance, row: BorrowRow): Promise<number> {
  const [id] = await createBorrows(app, [row])
  if (id === undefined) throw new Error('borrow insert returned no id')
  return id
}

// Files ------------------------------------------------------------------------------------------

export interface FileBody {
  id: number
  filename: string
  contentType: string
  size: number
  sha256: string
  ownerId: number
  bookId: number | null
  createdAt: string
  downloadUrl: string
}

/** A PDF of `size` random bytes uploaded through `POST /api/files` as `user`; returns the file and its bytes. */
export async function createFile (app: FastifyInstance, user: TestUser, { filename = 'book.pdf', bookId, size = 1000 }: { filename?: string, bookId?: number, size?: number } = {}) {
  const content = pdfBytes(size)
  const { payload, headers } = multipartBody([
    { name: 'file', filename, content },
    ...(bookId === undefined ? [] : [{ name: 'bookId', value: String(bookId) }])
  ])
  const response = await app.inject({ method: 'POST', url: '/api/files', payload, headers: { ...user.headers, ...headers } })
  if (response.statusCode !== 201) throw new Error(`upload failed: ${response.statusCode} ${response.body}`)
  return { file: response.json<FileBody>(), content }
}
