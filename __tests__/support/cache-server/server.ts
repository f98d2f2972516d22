// A local GitHub Actions cache service on 127.0.0.1 for tests: the Twirp cache service v2 and the
// blob storage behind its signed URLs, on one random port, so the real @actions/cache client (and
// the real @azure/storage-blob under it) saves and restores against it. State is in memory, blobs
// in a temporary directory. Tests inject what goes wrong on GitHub: a service that is down or
// answers 5xx, a full quota, an entry another job created first, a corrupt download.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { closeNow, listenLocal } from '../listen.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BlobStore, readBody } from './blob.js'
import { CacheService, METHODS, SERVICE, TwirpError, type TwirpCode, type TwirpMethod } from './twirp.js'

export interface RecordedCall {
  /** A Twirp method, or blob-read / blob-write. */
  operation: string
  status: number
}

export interface InjectedFault {
  operation: TwirpMethod | 'blob-read' | 'blob-write'
  /** A Twirp error code (Twirp operations) or an HTTP status (blob operations). */
  code?: TwirpCode
  status?: number
  msg?: string
  /** How many calls in a row get it (default 1). */
  times?: number
}

interface QueuedFault {
  operation: string
  msg: string
  code?: TwirpCode
  status?: number
}

export class CacheTestServer {
  readonly token = `test-runtime-token-${randomBytes(8).toString('hex')}`
  readonly calls: RecordedCall[] = []
  /** Requests the real service would have refused: a test asserts this stays empty. */
  readonly violations: string[] = []
  /** Serve random bytes (of the right length) instead of any entry's archive. */
  corruptDownloads = false
  readonly service: CacheService
  private readonly blobs: BlobStore
  private readonly blobDir = mkdtempSync(join(tmpdir(), 'nix-ci-cache-blobs-'))
  private readonly faults: QueuedFault[] = []
  private server?: Server
  private port = 0

  constructor() {
    this.blobs = new BlobStore(this.blobDir, {
      writable: name => this.service.entries.some(e => e.blobName === name && e.state === 'reserved'),
      corrupt: () => this.corruptDownloads,
      fault: op => {
        const fault = this.takeFault(op)
        return fault ? { status: fault.status ?? 500 } : undefined
      }
    })
    this.service = new CacheService({
      committedSize: name => this.blobs.blobs.get(name)?.size,
      signedUrl: (name, permission) => this.blobs.signedUrl(this.url, name, permission)
    })
  }

  get url(): string {
    if (this.port === 0) throw new Error('The cache test server is not started: await startCacheServer()')
    return `http://127.0.0.1:${this.port}`
  }

  async listen(): Promise<void> {
    // The same port again after goDown(), so URLs handed out before stay meaningful.
    const { server, port } = await listenLocal((req, res) => void this.handle(req, res), this.port)
    this.server = server
    this.port = port
  }

  /** Stops listening (connections are refused) but keeps every entry: the service is "down". */
  async goDown(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    await closeNow(server)
  }

  async stop(): Promise<void> {
    await this.goDown()
    rmSync(this.blobDir, { recursive: true, force: true })
  }

  inject(fault: InjectedFault): void {
    for (let i = 0; i < (fault.times ?? 1); i++)
      this.faults.push({ operation: fault.operation, msg: fault.msg ?? 'injected fault', code: fault.code, status: fault.status })
  }

  /** Twirp calls made, by method name, in order. */
  twirpCalls(): string[] {
    return this.calls.filter(c => (METHODS as readonly string[]).includes(c.operation)).map(c => c.operation)
  }

  private takeFault(operation: string): QueuedFault | undefined {
    const index = this.faults.findIndex(f => f.operation === operation)
    return index < 0 ? undefined : this.faults.splice(index, 1)[0]
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    res.on('finish', () => this.calls.push({ operation: operationOf(req, url), status: res.statusCode }))
    try {
      if (url.pathname.startsWith('/twirp/')) await this.twirp(req, res, url)
      else await this.blobs.handle(req, res, url)
    } catch (error) {
      this.violations.push(`server bug on ${req.method} ${url.pathname}: ${(error as Error).stack}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('test server bug')
    }
  }

  private async twirp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req)
    const answer = (status: number, json: string): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) }).end(json)
    }
    const refuse = (error: TwirpError): void => {
      this.violations.push(`${req.method} ${url.pathname}: ${error.code}: ${error.message}`)
      answer(error.status, error.body())
    }
    const match = /^\/twirp\/([\w.]+)\/(\w+)$/.exec(url.pathname)
    if (req.method !== 'POST' || !match || match[1] !== SERVICE || !(METHODS as readonly string[]).includes(match[2])) {
      return refuse(new TwirpError('bad_route', `no handler for ${req.method} ${url.pathname}`))
    }
    const method = match[2] as TwirpMethod
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim()
    if (contentType !== 'application/json')
      return refuse(new TwirpError('bad_route', `unexpected Content-Type: '${contentType}' (this client speaks JSON)`))
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return refuse(new TwirpError('unauthenticated', 'missing or wrong ACTIONS_RUNTIME_TOKEN bearer token'))
    const fault = this.takeFault(method)
    if (fault) {
      const error = new TwirpError(fault.code ?? 'internal', fault.msg)
      return answer(fault.status ?? error.status, error.body())
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      return refuse(new TwirpError('malformed', 'the body is not JSON'))
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return refuse(new TwirpError('malformed', 'the body is not a JSON object'))
    try {
      answer(200, JSON.stringify(this.service.call(method, protoNames(parsed as Record<string, unknown>))))
    } catch (error) {
      if (!(error instanceof TwirpError)) throw error
      // "Already exists" is the service doing its job (two jobs, one key), not a client mistake.
      if (error.code === 'already_exists') answer(error.status, error.body())
      else refuse(error)
    }
  }
}

/** proto3 JSON accepts lowerCamelCase field names too; the service sees proto names. */
function protoNames(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body)) out[name.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)] = value
  return out
}

function operationOf(req: IncomingMessage, url: URL): string {
  if (url.pathname.startsWith('/twirp/')) return url.pathname.split('/').pop() ?? '?'
  return req.method === 'PUT' ? 'blob-write' : 'blob-read'
}

export async function startCacheServer(): Promise<CacheTestServer> {
  const server = new CacheTestServer()
  await server.listen()
  return server
}

/**
 * Points @actions/cache at this server (cache service v2) for the current process; returns the
 * function that puts the environment back. RUNNER_TEMP is where the client writes its archives.
 */
export function useCacheServer(server: CacheTestServer, runnerTemp: string): () => void {
  const names = [
    'ACTIONS_CACHE_SERVICE_V2',
    'ACTIONS_RESULTS_URL',
    'ACTIONS_RUNTIME_TOKEN',
    'ACTIONS_CACHE_URL',
    'ACTIONS_CACHE_MODE',
    'GITHUB_SERVER_URL',
    'RUNNER_TEMP'
  ]
  const saved = new Map(names.map(n => [n, process.env[n]]))
  process.env.ACTIONS_CACHE_SERVICE_V2 = 'true'
  process.env.ACTIONS_RESULTS_URL = `${server.url}/`
  process.env.ACTIONS_RUNTIME_TOKEN = server.token
  process.env.RUNNER_TEMP = runnerTemp
  // github.com (not GHES), so the client picks the v2 service; no v1 URL to fall back on.
  delete process.env.ACTIONS_CACHE_URL
  delete process.env.ACTIONS_CACHE_MODE
  delete process.env.GITHUB_SERVER_URL
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}
