// A local GitHub Actions artifact service (v4 artifacts) on 127.0.0.1 for tests: the Twirp API
// github.actions.results.api.v1.ArtifactService as @actions/artifact 6 calls it, and the Azure
// blob storage behind its signed URLs (the cache test server's BlobStore, reused). Requests are
// checked as the service checks them: POST + JSON, a runtime token (a JWT whose `scp` names the
// run and job), proto field names, the job's own ids, unique names per run, a finalized size and
// sha256 that match the uploaded blob. Each simulated matrix job gets its own token.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { listenLocal } from '../listen.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BlobStore, readBody } from '../cache-server/blob.js'
import { TwirpError } from '../cache-server/twirp.js'

export const SERVICE = 'github.actions.results.api.v1.ArtifactService'
export const METHODS = ['CreateArtifact', 'FinalizeArtifact', 'ListArtifacts', 'GetSignedArtifactURL', 'DeleteArtifact'] as const
type Method = (typeof METHODS)[number]

export interface Artifact {
  id: number
  runId: string
  jobId: string
  name: string
  blobName: string
  state: 'created' | 'finalized'
  size?: number
  digest?: string
  createdAt: Date
}

type Json = Record<string, unknown>

/** An unsigned JWT as the runner hands one out: only its payload's `scp` is read by the client. */
function runtimeToken(runId: string, jobId: string): string {
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${runId}:${jobId}` })}.${randomBytes(16).toString('base64url')}`
}

export class ArtifactTestServer {
  readonly runId = randomBytes(16).toString('hex')
  readonly artifacts: Artifact[] = []
  /** Requests the real service would refuse: a test asserts this stays empty. */
  readonly violations: string[] = []
  readonly calls: string[] = []
  private readonly tokens = new Map<string, string>()
  private readonly dir = mkdtempSync(join(tmpdir(), 'nix-ci-artifact-blobs-'))
  private readonly blobs: BlobStore
  private server?: Server
  private port = 0
  private nextId = 1

  constructor() {
    this.blobs = new BlobStore(this.dir, {
      writable: name => this.artifacts.some(a => a.blobName === name && a.state === 'created'),
      corrupt: () => false,
      fault: () => undefined
    })
  }

  get url(): string {
    if (this.port === 0) throw new Error('The artifact test server is not started')
    return `http://127.0.0.1:${this.port}`
  }

  /** The environment the runner gives one job of this run. */
  jobEnv(jobId: string): Record<string, string> {
    let token = this.tokens.get(jobId)
    if (!token) {
      token = runtimeToken(this.runId, jobId)
      this.tokens.set(jobId, token)
    }
    return { ACTIONS_RUNTIME_TOKEN: token, ACTIONS_RESULTS_URL: `${this.url}/` }
  }

  async listen(): Promise<void> {
    const { server, port } = await listenLocal((req, res) => void this.handle(req, res))
    this.server = server
    this.port = port
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server) {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url)
    try {
      if (url.pathname.startsWith('/twirp/')) await this.twirp(req, res, url)
      else {
        this.calls.push(req.method === 'PUT' ? 'blob-write' : 'blob-read')
        await this.blobs.handle(req, res, url)
      }
    } catch (error) {
      this.violations.push(`server bug on ${req.method} ${url.pathname}: ${(error as Error).stack}`)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    }
  }

  private async twirp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req)
    const answer = (status: number, json: string): void =>
      void res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) }).end(json)
    const refuse = (error: TwirpError): void => {
      this.violations.push(`${url.pathname}: ${error.code}: ${error.message}`)
      answer(error.status, error.body())
    }
    const match = /^\/twirp\/([\w.]+)\/(\w+)$/.exec(url.pathname)
    if (req.method !== 'POST' || !match || match[1] !== SERVICE || !(METHODS as readonly string[]).includes(match[2]))
      return refuse(new TwirpError('bad_route', `no handler for ${req.method} ${url.pathname}`))
    const method = match[2] as Method
    this.calls.push(method)
    if ((req.headers['content-type'] ?? '').split(';')[0].trim() !== 'application/json')
      return refuse(new TwirpError('bad_route', 'this client speaks JSON'))
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const jobId = [...this.tokens].find(([, t]) => t === token)?.[0]
    if (jobId === undefined) return refuse(new TwirpError('unauthenticated', 'missing or unknown ACTIONS_RUNTIME_TOKEN'))
    let parsed: Json
    try {
      parsed = JSON.parse(body.toString('utf8')) as Json
    } catch {
      return refuse(new TwirpError('malformed', 'the body is not JSON'))
    }
    try {
      answer(200, JSON.stringify(this.call(method, parsed, jobId)))
    } catch (error) {
      if (!(error instanceof TwirpError)) throw error
      // A second artifact of the same name is the service doing its job, not a client mistake.
      if (error.code === 'already_exists' || error.code === 'not_found') answer(error.status, error.body())
      else refuse(error)
    }
  }

  private call(method: Method, body: Json, jobId: string): Json {
    for (const key of Object.keys(body)) {
      if (/[A-Z]/.test(key)) throw new TwirpError('malformed', `field '${key}' is not a proto field name (the client sends snake_case)`)
    }
    const runId = String(body.workflow_run_backend_id ?? '')
    if (runId !== this.runId) throw new TwirpError('permission_denied', `workflow_run_backend_id '${runId}' is not this token's run`)
    // Listing and downloading reach the whole run; creating and finalizing only the job's own artifacts.
    if ((method === 'CreateArtifact' || method === 'FinalizeArtifact') && body.workflow_job_run_backend_id !== jobId) {
      throw new TwirpError('permission_denied', "workflow_job_run_backend_id is not this token's job")
    }
    const name = typeof body.name === 'string' ? body.name : ''
    switch (method) {
      case 'CreateArtifact': {
        if (body.version !== 7) throw new TwirpError('invalid_argument', `version ${String(body.version)}: this service takes 7`)
        if (!/^[^"<>|*?\r\n\\/:]+$/.test(name)) throw new TwirpError('invalid_argument', `invalid artifact name '${name}'`)
        if (this.artifacts.some(a => a.runId === runId && a.name === name && a.state === 'finalized')) {
          throw new TwirpError('already_exists', `an artifact named '${name}' already exists in this workflow run`)
        }
        const artifact: Artifact = {
          id: this.nextId++,
          runId,
          jobId,
          name,
          blobName: `${randomBytes(8).toString('hex')}-${encodeURIComponent(name)}.zip`,
          state: 'created',
          createdAt: new Date()
        }
        this.artifacts.push(artifact)
        return { ok: true, signed_upload_url: this.blobs.signedUrl(this.url, artifact.blobName, 'cw') }
      }
      case 'FinalizeArtifact': {
        const artifact = this.artifacts.find(a => a.runId === runId && a.jobId === jobId && a.name === name && a.state === 'created')
        if (!artifact) throw new TwirpError('not_found', `no artifact '${name}' being uploaded by this job`)
        const committed = this.blobs.blobs.get(artifact.blobName)?.size
        if (committed === undefined || String(committed) !== String(body.size))
          throw new TwirpError('invalid_argument', `size ${String(body.size)} but ${committed ?? 'nothing'} uploaded`)
        const digest = `sha256:${createHash('sha256')
          .update(readFileSync(this.blobs.fileOf(artifact.blobName)))
          .digest('hex')}`
        if (body.hash !== undefined && body.hash !== digest)
          throw new TwirpError('invalid_argument', `hash ${String(body.hash)} but the blob's is ${digest}`)
        Object.assign(artifact, { state: 'finalized', size: committed, digest })
        return { ok: true, artifact_id: String(artifact.id) }
      }
      case 'ListArtifacts': {
        const byName = typeof body.name_filter === 'string' ? body.name_filter : undefined
        const byId = body.id_filter !== undefined ? String(body.id_filter) : undefined
        const found = this.artifacts.filter(
          a =>
            a.runId === runId &&
            a.state === 'finalized' &&
            (byName === undefined || a.name === byName) &&
            (byId === undefined || String(a.id) === byId)
        )
        return {
          artifacts: found.map(a => ({
            workflow_run_backend_id: a.runId,
            workflow_job_run_backend_id: a.jobId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: a.createdAt.toISOString(),
            digest: a.digest
          }))
        }
      }
      case 'GetSignedArtifactURL': {
        const artifact = this.artifacts.find(a => a.runId === runId && a.name === name && a.state === 'finalized')
        if (!artifact) throw new TwirpError('not_found', `no artifact '${name}' in this run`)
        return { signed_url: this.blobs.signedUrl(this.url, artifact.blobName, 'r') }
      }
      case 'DeleteArtifact': {
        const index = this.artifacts.findIndex(a => a.runId === runId && a.name === name)
        if (index < 0) throw new TwirpError('not_found', `no artifact '${name}'`)
        const [removed] = this.artifacts.splice(index, 1)
        return { ok: true, artifact_id: String(removed.id) }
      }
    }
  }
}

export async function startArtifactServer(): Promise<ArtifactTestServer> {
  const server = new ArtifactTestServer()
  await server.listen()
  return server
}
