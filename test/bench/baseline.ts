/**
 * The benchmark's floor: a bare Fastify + mysql2 server that answers the book read and the favourites
 * read with the same SQL the API sends (copied from Drizzle's `toSQL()` of
 * src/modules/books/repository.ts `findBookView` and src/modules/favorites/repository.ts `listFavorites`),
 * through the same pool settings (10 connections, text protocol, `rowsAsArray` as Drizzle does), and
 * the same JSON shape. No plugins, no schemas, no authentication (the favourites' user id comes from the
 * `x-user-id` header or the `userId` query): what is left is the price of Fastify, mysql2 and MariaDB.
 *
 * Started by test/bench/run.ts: `node --import tsx test/bench/baseline.ts` with PORT and DATABASE_URL.
 */
import Fastify from 'fastify'
import mysql, { type RowDataPacket } from 'mysql2/promise'

const bookColumns = '`books`.`id`, `books`.`title`, `books`.`isbn`, `books`.`genre`, `books`.`publication_year`, `books`.`publication_date`, `authors`.`id`, `authors`.`name`, `books`.`total_copies`, `books`.`available_copies`, `books`.`average_rating`, `books`.`review_count`, `books`.`owner_id`, `books`.`created_at`, `books`.`updated_at`'

export const bookSql = `select ${bookColumns} from \`books\` inner join \`authors\` on \`authors\`.\`id\` = \`books\`.\`author_id\` where (\`books\`.\`id\` = ? and \`books\`.\`deleted_at\` is null)`

const favoritesFrom = 'from `favorites` inner join `books` on (`books`.`id` = `favorites`.`book_id` and `books`.`deleted_at` is null)'
export const favoritesPageSql = `select ${bookColumns}, \`favorites\`.\`created_at\` ${favoritesFrom} inner join \`authors\` on \`authors\`.\`id\` = \`books\`.\`author_id\` where \`favorites\`.\`user_id\` = ? order by \`favorites\`.\`created_at\` desc, \`favorites\`.\`book_id\` desc limit ? offset ?`
export const favoritesCountSql = `select count(*) ${favoritesFrom} where \`favorites\`.\`user_id\` = ?`

type Cell = string | number | Date | null
type Row = Cell[]

const iso = (value: Cell) => (value instanceof Date ? value.toISOString() : String(value))
const dateOnly = (value: Cell) => (value === null ? null : value instanceof Date ? value.toISOString().slice(0, 10) : String(value))

function toBook (row: Row) {
  return {
    id: row[0],
    title: row[1],
    isbn: row[2],
    genre: row[3],
    publicationYear: row[4],
    publicationDate: dateOnly(row[5] ?? null),
    author: { id: row[6], name: row[7] },
    totalCopies: row[8],
    availableCopies: row[9],
    averageRating: row[10] === null ? null : Number(row[10]),
    reviewCount: row[11],
    ownerId: row[12],
    createdAt: iso(row[13] ?? null),
    updatedAt: iso(row[14] ?? null)
  }
}

function positiveInteger (value: unknown, fallback: number): number {
  const parsed = Number(value)
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : fallback
}

async function main () {
  const port = Number(process.env.PORT ?? 3901)
  const pool = mysql.createPool({
    uri: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/bookstore_bench',
    connectionLimit: 10,
    connectTimeout: 2000,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    enableKeepAlive: true
  })
  const app = Fastify({ logger: false })

  app.get('/health', async () => ({ status: 'ok' }))

  app.get<{ Params: { id: string } }>('/api/books/:id', async (request, reply) => {
    const [rows] = await pool.query<Row[] & RowDataPacket[]>({ sql: bookSql, rowsAsArray: true }, [positiveInteger(request.params.id, 0)])
    const row = rows[0]
    if (row === undefined) return reply.code(404).send({ status: 404, code: 'NOT_FOUND' })
    return toBook(row)
  })

  app.get<{ Querystring: { userId?: string, page?: string, pageSize?: string } }>('/api/favorites', async (request, reply) => {
    const userId = positiveInteger(request.headers['x-user-id'] ?? request.query.userId, 0)
    if (userId === 0) return reply.code(401).send({ status: 401, code: 'UNAUTHENTICATED' })
    const page = positiveInteger(request.query.page, 1)
    const pageSize = Math.min(positiveInteger(request.query.pageSize, 20), 100)
    const offset = (page - 1) * pageSize
    const [[rows], [counts]] = await Promise.all([
      pool.query<Row[] & RowDataPacket[]>({ sql: favoritesPageSql, rowsAsArray: true }, [userId, pageSize, offset]),
      pool.query<Row[] & RowDataPacket[]>({ sql: favoritesCountSql, rowsAsArray: true }, [userId])
    ])
    const total = Number(counts[0]?.[0] ?? 0)
    const items = rows.map((row) => ({ ...toBook(row), favoritedAt: iso(row[15] ?? null) }))
    return { items, page, pageSize, total, totalPages: Math.ceil(total / pageSize) }
  })

  const stop = async () => {
    await app.close()
    await pool.end()
    process.exit(0)
  }
  process.once('SIGTERM', () => { stop().catch(() => process.exit(1)) })
  process.once('SIGINT', () => { stop().catch(() => process.exit(1)) })

  await app.listen({ port, host: '127.0.0.1' })
  console.log(`baseline listening on ${port}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
