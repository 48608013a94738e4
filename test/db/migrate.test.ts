import mysql from 'mysql2/promise'
import t from 'tap'
import { migrateDatabase } from '../../src/db/migrate.js'
import { createTestDatabase } from '../helpers/index.js'

const tables = ['authors', 'book_totals', 'books', 'borrows', 'email_outbox', 'email_tokens', 'favorites', 'files', 'holds', 'idempotency_keys', 'login_failures', 'notices', 'refresh_tokens', 'reviews', 'revoked_access_tokens', 'users']

t.test('migrations create the schema from empty, and a re-run is a no-op', async (t) => {
  const url = await createTestDatabase(t)
  const connection = await mysql.createConnection({ uri: url })
  t.teardown(() => connection.end())
  const [listed] = await connection.query<mysql.RowDataPacket[]>('SHOW TABLES')
  t.same(listed.map((row) => Object.values(row)[0]).sort(), ['__drizzle_migrations', ...tables])

  const [before] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM __drizzle_migrations')
  await migrateDatabase(url)
  const [after] = await connection.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM __drizzle_migrations')
  t.equal(after[0]?.n, before[0]?.n, 'no migration applied twice')
})

t.test('the database itself enforces the invariants', async (t) => {
  const connection = await mysql.createConnection({ uri: await createTestDatabase(t) })
  t.teardown(() => connection.end())
  const refused = async (sql: string, pattern: RegExp) => {
    await t.rejects(connection.query(sql), { message: pattern }, sql)
  }
  await connection.query("INSERT INTO users (email, password_hash) VALUES ('reader@example.com', 'x')")
  await connection.query("INSERT INTO authors (name) VALUES ('Ursula K. Le Guin')")

  await refused("INSERT INTO users (email, password_hash) VALUES ('Reader@Example.com', 'x')", /users_email_lowercase/)
  await refused("INSERT INTO users (email, password_hash) VALUES ('reader@example.com', 'x')", /users_email_unique/)

  const book = "INSERT INTO books (title, isbn, publication_year, author_id, owner_id, total_copies, available_copies) VALUES ('Earthsea', '9780553383041', 1968, 1, 1, 2, 2)"
  await connection.query(book)
  await refused(book, /books_active_isbn_unique/)
  await refused('UPDATE books SET available_copies = 3', /books_copies_balance/)
  await refused('UPDATE books SET available_copies = available_copies - 3', /out of range|books_copies_balance/)
  await refused("UPDATE books SET isbn = '0553383043'", /books_isbn_digits/)
  await refused('UPDATE books SET rating_sum = 6, review_count = 1', /books_review_count_consistent/)
  await refused('INSERT INTO books (title, isbn, publication_year, author_id, owner_id) VALUES (\'x\', \'9780306406157\', 2000, 99, 1)', /foreign key/)

  await connection.query('UPDATE books SET rating_sum = 9, review_count = 2')
  const [[rated]] = await connection.query<mysql.RowDataPacket[]>('SELECT average_rating FROM books')
  t.equal(Number(rated?.average_rating), 4.5, 'average rating is derived by the database')

  await connection.query('UPDATE books SET deleted_at = NOW(3)')
  await connection.query(book)
  t.pass('a soft-deleted book frees its ISBN')

  await connection.query('INSERT INTO favorites (user_id, book_id) VALUES (1, 1)')
  await refused('INSERT INTO favorites (user_id, book_id) VALUES (1, 1)', /Duplicate entry/)
  await connection.query('INSERT INTO reviews (user_id, book_id, rating) VALUES (1, 1, 5)')
  await refused('INSERT INTO reviews (user_id, book_id, rating) VALUES (1, 1, 4)', /reviews_user_book_unique/)
  await refused('UPDATE reviews SET rating = 6', /reviews_rating_range/)

  const borrow = 'INSERT INTO borrows (user_id, book_id, borrowed_at, due_at) VALUES (1, 1, NOW(3), NOW(3) + INTERVAL 14 DAY)'
  await connection.query(borrow)
  await refused(borrow, /borrows_one_open_per_user_book/)
  await connection.query('UPDATE borrows SET returned_at = NOW(3)')
  await connection.query(borrow)
  t.pass('a returned borrow allows the next one')
  await refused('INSERT INTO borrows (user_id, book_id, borrowed_at, due_at) VALUES (1, 1, NOW(3), NOW(3) - INTERVAL 1 DAY)', /borrows_due_after_borrowed/)
  await refused("INSERT INTO files (owner_id, filename, size, sha256, storage_key) VALUES (1, 'a.pdf', 0, REPEAT('0', 64), UUID())", /files_size_positive/)
})
