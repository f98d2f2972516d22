// A local GitHub REST server on 127.0.0.1 for tests: real HTTP, so the real Octokit (with its retry
// and throttling plugins) talks to it. Every request and every response is checked against GitHub's
// OpenAPI description; anything off-spec is recorded in `violations`, and an off-spec request is
// answered with GitHub's 422 "Invalid request" so the client bug surfaces at once.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { closeNow, listenLocal } from '../listen.js'
import type { Fault, InjectedFault } from './faults.js'
import { executeGraphQL, GRAPHQL_FIELDS, graphqlOperationOf } from './graphql.js'
import { checkRequest, checkResponse, findOperation, type SpecOperation } from './openapi.js'
import { routes, type RouteResult } from './routes.js'
import { GitHubFailure, GitHubStore, type Repository, type SeedRepoOptions } from './store.js'

export interface Violation {
  kind: 'request' | 'response' | 'unknown-operation' | 'unimplemented' | 'server-bug'
  operation?: string
  method: string
  path: string
  errors: string[]
}

export interface RecordedCall {
  operation: string
  method: string
  path: string
  status: number
  body: unknown
  injected: boolean
}

export interface GitHubServerOptions {
  /** Root of html_url fields (default https://github.com). */
  webUrl?: string
}

export class GitHubTestServer {
  readonly store = new GitHubStore()
  readonly violations: Violation[] = []
  readonly calls: RecordedCall[] = []
  private readonly faults = new Map<string, Fault[]>()
  private readonly barriers = new Map<string, { parties: number; timeoutMs: number; waiting: (() => void)[] }>()
  private readonly hooks = new Map<string, (() => void)[]>()
  private server?: Server
  private baseUrl = ''

  constructor(private readonly options: GitHubServerOptions = {}) {}

  get url(): string {
    if (!this.server) throw new Error('The GitHub test server is not started: await startGitHubServer()')
    return this.baseUrl
  }

  async listen(): Promise<void> {
    const { server, url } = await listenLocal((req, res) => void this.handle(req, res))
    this.server = server
    this.baseUrl = url
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    for (const barrier of this.barriers.values()) barrier.waiting.splice(0).forEach(release => release())
    await closeNow(server)
  }

  seedRepo(options: SeedRepoOptions): { repo: Repository; headSha: string } {
    return this.store.seedRepo(options)
  }

  /** Answers the next `times` calls to `operation` with this fault instead of running it. */
  inject(fault: InjectedFault): void {
    if (!(fault.operation in routes) && !GRAPHQL_FIELDS.includes(fault.operation))
      throw new Error(`Cannot inject into '${fault.operation}': the test server does not implement it`)
    const queue = this.faults.get(fault.operation) ?? []
    for (let i = 0; i < (fault.times ?? 1); i++) queue.push({ status: fault.status, body: fault.body, headers: fault.headers })
    this.faults.set(fault.operation, queue)
  }

  /**
   * Holds calls to `operation` until `parties` of them have arrived, then lets them all through in
   * arrival order: makes a race between concurrent clients happen every time, not by luck. If the
   * others never come (a client failed earlier), the waiting calls go through after `timeoutMs`, so
   * the test fails on its assertions instead of hanging.
   */
  barrier(operation: string, parties: number, timeoutMs = 2000): void {
    this.barriers.set(operation, { parties, timeoutMs, waiting: [] })
  }

  /**
   * Runs `fn` once, just before the next call to `operation` is handled: something that happens on
   * GitHub between a client's read and its write (a person pushing to a branch, say). GraphQL calls
   * are named by their first root field: `graphql/updateRefs`, `graphql/repository`.
   */
  beforeNext(operation: string, fn: () => void): void {
    if (!(operation in routes) && !GRAPHQL_FIELDS.includes(operation))
      throw new Error(`Cannot hook '${operation}': the test server does not implement it`)
    this.hooks.set(operation, [...(this.hooks.get(operation) ?? []), fn])
  }

  /** Calls of one operation, e.g. `callsTo('git/create-ref')`. */
  callsTo(operation: string): RecordedCall[] {
    return this.calls.filter(c => c.operation === operation)
  }

  /** Returns and clears the recorded violations (for tests that provoke them on purpose). */
  takeViolations(): Violation[] {
    return this.violations.splice(0)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl)
    const method = req.method ?? 'GET'
    const path = url.pathname
    try {
      const raw = await readBody(req)
      if (method === 'POST' && path === '/graphql') return await this.handleGraphQL(req, res, raw)
      const op = findOperation(method, path)
      if (!op) {
        this.violations.push({
          kind: 'unknown-operation',
          method,
          path,
          errors: [`${method} ${path} is not an operation of the GitHub REST API`]
        })
        return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })
      }
      let body: unknown
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw)
        } catch {
          return this.rejectRequest(res, op, path, ['body is not valid JSON'])
        }
      }
      const query = queryObject(url.searchParams)
      const requestCheck = checkRequest(op, query, body)
      if (!requestCheck.ok) return this.rejectRequest(res, op, path, requestCheck.errors)
      await this.waitAtBarrier(op.operationId)
      this.hooks.get(op.operationId)?.shift()?.()

      const fault = this.faults.get(op.operationId)?.shift()
      if (fault) {
        if (fault.status === 0) {
          this.calls.push({ operation: op.operationId, method, path, status: 0, body: undefined, injected: true })
          req.socket.destroy()
          return
        }
        const faultBody = fault.body ? { documentation_url: op.documentationUrl, ...fault.body } : undefined
        return this.respond(res, op, path, { status: fault.status, body: faultBody, headers: fault.headers }, true)
      }

      const handler = routes[op.operationId]
      if (!handler) {
        this.violations.push({
          kind: 'unimplemented',
          operation: op.operationId,
          method,
          path,
          errors: [`the test server does not implement ${op.operationId}`]
        })
        return send(res, 404, { message: 'Not Found', documentation_url: op.documentationUrl })
      }
      let result: RouteResult
      try {
        result = handler({
          store: this.store,
          urls: { api: this.baseUrl, web: this.options.webUrl ?? 'https://github.com' },
          params: op.pathParams,
          query: flatQuery(query),
          body,
          url
        })
      } catch (error) {
        if (!(error instanceof GitHubFailure)) throw error
        const errorBody: Record<string, unknown> = {
          message: error.message,
          documentation_url: op.documentationUrl,
          status: String(error.status)
        }
        if (error.errors) errorBody.errors = error.errors
        result = { status: error.status, body: errorBody }
      }
      this.respond(res, op, path, result, false)
    } catch (error) {
      this.violations.push({ kind: 'server-bug', method, path, errors: [String((error as Error).stack ?? error)] })
      send(res, 500, { message: 'Test server bug', documentation_url: 'https://docs.github.com/rest' })
    }
  }

  /** POST /graphql: executed against GitHub's GraphQL schema (graphql.ts); always HTTP 200, as GitHub answers. */
  private async handleGraphQL(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      this.violations.push({ kind: 'request', operation: 'graphql', method: 'POST', path: '/graphql', errors: ['body is not valid JSON'] })
      return send(res, 400, { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' })
    }
    const operation = graphqlOperationOf(body) ?? 'graphql/invalid'
    await this.waitAtBarrier(operation)
    this.hooks.get(operation)?.shift()?.()
    const fault = this.faults.get(operation)?.shift()
    if (fault) {
      this.calls.push({ operation, method: 'POST', path: '/graphql', status: fault.status, body: fault.body, injected: true })
      if (fault.status === 0) return void req.socket.destroy()
      return send(res, fault.status, fault.body, fault.headers)
    }
    const exchange = await executeGraphQL(this.store, body)
    if (exchange.violations.length > 0)
      this.violations.push({ kind: 'request', operation, method: 'POST', path: '/graphql', errors: exchange.violations })
    this.calls.push({ operation, method: 'POST', path: '/graphql', status: 200, body: exchange.response, injected: false })
    send(res, 200, exchange.response)
  }

  private respond(res: ServerResponse, op: SpecOperation, path: string, result: RouteResult, injected: boolean): void {
    // Checked as it goes over the wire: undefined fields vanish in JSON.
    const wire = result.body === undefined ? undefined : JSON.parse(JSON.stringify(result.body))
    const check = checkResponse(op, result.status, wire)
    if (!check.ok) this.violations.push({ kind: 'response', operation: op.operationId, method: op.method, path, errors: check.errors })
    this.calls.push({ operation: op.operationId, method: op.method, path, status: result.status, body: wire, injected })
    send(res, result.status, wire, result.headers)
  }

  private rejectRequest(res: ServerResponse, op: SpecOperation, path: string, errors: string[]): void {
    this.violations.push({ kind: 'request', operation: op.operationId, method: op.method, path, errors })
    this.calls.push({ operation: op.operationId, method: op.method, path, status: 422, body: undefined, injected: false })
    // GitHub's answer to a body that does not match the operation's schema.
    send(res, 422, { message: `Invalid request.\n\n${errors.join('\n')}`, documentation_url: op.documentationUrl, status: '422' })
  }

  private async waitAtBarrier(operation: string): Promise<void> {
    const barrier = this.barriers.get(operation)
    if (!barrier) return
    const releaseAll = (): void => {
      if (this.barriers.get(operation) === barrier) this.barriers.delete(operation)
      barrier.waiting.splice(0).forEach(release => release())
    }
    await new Promise<void>(resolve => {
      barrier.waiting.push(resolve)
      if (barrier.waiting.length >= barrier.parties) releaseAll()
      else if (barrier.waiting.length === 1) setTimeout(releaseAll, barrier.timeoutMs).unref()
    })
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-github-request-id': `TEST:${Date.now().toString(16)}`,
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-github-api-version-selected': '2022-11-28',
    ...headers
  })
  res.end(text)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key)
    out[key] = values.length === 1 ? values[0] : values
  }
  return out
}

function flatQuery(query: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]))
}

/** Starts a server on 127.0.0.1 with a random free port. */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubTestServer> {
  const server = new GitHubTestServer(options)
  await server.listen()
  return server
}
