import { once } from 'node:events'
import { connect, type Socket } from 'node:net'

/** One answer as read off the wire, interim `1xx` answers before it left out. */
export interface RawAnswer {
  status: number
  /** Header names in lower case. */
  headers: Record<string, string>
  body: string
  /** The interim answers' status lines (`HTTP/1.1 100 Continue`). */
  interim: string[]
}

export function parseAnswer (text: string): RawAnswer {
  const interim: string[] = []
  let rest = text
  while (/^HTTP\/1\.1 1\d\d /.test(rest)) {
    const end = rest.indexOf('\r\n\r\n')
    interim.push(rest.slice(0, rest.indexOf('\r\n')))
    rest = rest.slice(end + 4)
  }
  const end = rest.indexOf('\r\n\r\n')
  const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
  const headers = Object.fromEntries(lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  }))
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(end + 4), interim }
}

/** Reads a socket until the server closes it. */
export async function readAll (socket: Socket): Promise<string> {
  let answer = ''
  for await (const chunk of socket) answer += String(chunk)
  return answer
}

/** Sends raw bytes to a listening app and reads the whole answer (the server closes the connection). */
export async function rawExchange (port: number, request: string): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(request)
  return parseAnswer(await readAll(socket))
}
