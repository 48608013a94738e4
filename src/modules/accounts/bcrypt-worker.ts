import bcrypt from 'bcryptjs'

export type BcryptTask =
  | { operation: 'hash', plain: string, cost: number }
  | { operation: 'compare', plain: string, hash: string }

/** Runs in a worker thread: bcryptjs is pure JavaScript and would block the event loop for ~80 ms. */
export default async function run (task: BcryptTask): Promise<string | boolean> {
  return task.operation === 'hash'
    ? await bcrypt.hash(task.plain, task.cost)
    : await bcrypt.compare(task.plain, task.hash)
}
