// An HTTP binary cache on 127.0.0.1 for tests: what Nix PUTs it stores (in memory), what it stores
// it serves (GET, HEAD), anything else is 404. That is all an HTTP(S) binary cache store needs:
// `nix copy --to http://…` PUTs nix-cache-info, NARs and narinfos; substituters GET them.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { listenLocal } from './listen.js'

export interface BinaryCacheServer {
  url: string
  /** Files as stored, by path (`/nix-cache-info`, `/<hash>.narinfo`, `/nar/…`). */
  files: Map<string, Buffer>
  /** Every request, `METHOD /path status`. */
  requests: string[]
  /** Answer PUTs with this status instead of storing (a read-only or broken cache). */
  failPuts?: number
  close(): Promise<void>
}

const MAX_BODY = 256 << 20

export async function startBinaryCacheServer(): Promise<BinaryCacheServer> {
  const files = new Map<string, Buffer>()
  const requests: string[] = []
  const cache: BinaryCacheServer = { url: '', files, requests, close: async () => {} }
  const answer = (req: IncomingMessage, res: ServerResponse, status: number, body?: Buffer): void => {
    requests.push(`${req.method} ${req.url} ${status}`)
    res.statusCode = status
    if (body !== undefined) res.setHeader('Content-Length', body.length)
    res.end(req.method === 'HEAD' ? undefined : body)
  }
  const handle: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (req.method === 'PUT') {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size <= MAX_BODY) chunks.push(chunk)
      })
      req.on('end', () => {
        if (cache.failPuts !== undefined) return answer(req, res, cache.failPuts, Buffer.from('uploads refused\n'))
        if (size > MAX_BODY) return answer(req, res, 413)
        files.set(path, Buffer.concat(chunks))
        answer(req, res, 200, Buffer.alloc(0))
      })
      return
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const body = files.get(path)
      return body === undefined ? answer(req, res, 404, Buffer.from('not found\n')) : answer(req, res, 200, body)
    }
    answer(req, res, 405)
  }
  const { server, url } = await listenLocal(handle)
  cache.url = url
  cache.close = () => new Promise(resolve => server.close(() => resolve()))
  return cache
}
