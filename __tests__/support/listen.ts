// The test servers (GitHub, cache service, artifact service, binary cache) listen and stop the same
// way: on 127.0.0.1 only, on a free port unless one is asked for, and stopped without waiting for
// the clients' keep-alive connections.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Listening {
  server: Server
  port: number
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string
}

/** Starts an HTTP server for `handler` on 127.0.0.1; port 0 (the default) takes a free one. */
export async function listenLocal(handler: RequestListener, port = 0): Promise<Listening> {
  const server = createServer(handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const bound = (server.address() as AddressInfo).port
  return { server, port: bound, url: `http://127.0.0.1:${bound}` }
}

/** Stops a server now: open connections are closed, not waited for. */
export async function closeNow(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => resolve()))
}
