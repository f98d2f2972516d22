// The Azure Blob Storage REST calls @azure/storage-blob makes for a cache entry (Put Blob, Put
// Block, Put Block List), and the reads the download side makes (Get Blob with or without a Range,
// Get Blob Properties), behind a signed URL of the shape the cache service hands out. Blobs live in
// files under a temporary directory; block lists are checked like Azure checks them.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs'
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

export const ACCOUNT = 'devstoreaccount1'
export const CONTAINER = 'actions-cache'
const API_VERSION = '2025-01-05'
const MAX_BLOCK_BYTES = 4000 * 1024 * 1024

export type BlobPermission = 'r' | 'cw'

export interface BlobState {
  /** Committed size in bytes (undefined until Put Blob / Put Block List). */
  size?: number
  etag?: string
  lastModified?: Date
  /** Staged, uncommitted blocks: base64 id -> file. */
  blocks: Map<string, string>
}

export interface BlobHooks {
  /** May a blob be written (its entry reserved, not finalized)? */
  writable(blobName: string): boolean
  /** Bytes to serve instead of the blob's own (fault injection: a corrupt entry). */
  corrupt(blobName: string): boolean
  /** A fault to answer this blob request with, if one is queued. */
  fault(op: 'blob-read' | 'blob-write'): { status: number } | undefined
}

export class BlobStore {
  private readonly secret = randomBytes(32)
  readonly blobs = new Map<string, BlobState>()

  constructor(
    private readonly dir: string,
    private readonly hooks: BlobHooks
  ) {}

  fileOf(blobName: string): string {
    return join(this.dir, `${blobName}.blob`)
  }

  /** A SAS-like URL: only this blob, only these permissions, until `expiresAt`. */
  signedUrl(baseUrl: string, blobName: string, permission: BlobPermission, expiresAt = new Date(Date.now() + 3600_000)): string {
    const se = expiresAt.toISOString()
    const sig = this.sign(blobName, permission, se)
    return `${baseUrl}/${ACCOUNT}/${CONTAINER}/${blobName}?sv=${API_VERSION}&sr=b&sp=${permission}&se=${encodeURIComponent(se)}&sig=${encodeURIComponent(sig)}`
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const [, account, container, blobName, ...rest] = url.pathname.split('/')
    if (account !== ACCOUNT || container !== CONTAINER || !blobName || rest.length > 0) {
      return await drainThen(req, () =>
        storageError(res, 400, 'InvalidUri', `The requested URI ${url.pathname} does not represent any resource on the server.`)
      )
    }
    const write = req.method === 'PUT'
    const auth = this.authorize(url, blobName, write ? 'w' : 'r')
    if (auth !== undefined) return await drainThen(req, () => storageError(res, 403, 'AuthenticationFailed', auth))
    const fault = this.hooks.fault(write ? 'blob-write' : 'blob-read')
    if (fault) return await drainThen(req, () => storageError(res, fault.status, 'InternalError', 'Injected fault.'))

    if (req.method === 'GET' || req.method === 'HEAD') return await this.read(req, res, blobName)
    if (!write)
      return await drainThen(req, () => storageError(res, 405, 'UnsupportedHttpVerb', `${req.method} is not supported on a blob.`))
    if (!this.hooks.writable(blobName)) {
      return await drainThen(req, () =>
        storageError(
          res,
          409,
          'BlobImmutableDueToPolicy',
          'This blob belongs to a finalized (or unknown) cache entry and cannot be written.'
        )
      )
    }
    const comp = url.searchParams.get('comp')
    if (comp === 'block') return await this.putBlock(req, res, blobName, url.searchParams.get('blockid'))
    if (comp === 'blocklist') return await this.putBlockList(req, res, blobName)
    if (comp !== null)
      return await drainThen(req, () => storageError(res, 400, 'InvalidQueryParameterValue', `comp=${comp} is not supported here.`))
    return await this.putBlob(req, res, blobName)
  }

  private authorize(url: URL, blobName: string, need: 'r' | 'w'): string | undefined {
    const sp = url.searchParams.get('sp') ?? ''
    const se = url.searchParams.get('se') ?? ''
    const sig = url.searchParams.get('sig') ?? ''
    const expected = Buffer.from(this.sign(blobName, sp, se))
    const given = Buffer.from(sig)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'Signature did not match.'
    if (!(Date.parse(se) > Date.now())) return 'Signed expiry time has passed.'
    if (!sp.includes(need))
      return `This request is not authorized to perform this operation using this permission (needs '${need}', has '${sp}').`
    return undefined
  }

  private sign(blobName: string, permission: string, expiry: string): string {
    return createHmac('sha256', this.secret).update(`${ACCOUNT}/${CONTAINER}/${blobName}\n${permission}\n${expiry}`).digest('base64')
  }

  private state(blobName: string): BlobState {
    let state = this.blobs.get(blobName)
    if (!state) {
      state = { blocks: new Map() }
      this.blobs.set(blobName, state)
    }
    return state
  }

  private async putBlob(req: IncomingMessage, res: ServerResponse, blobName: string): Promise<void> {
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
      return await drainThen(req, () =>
        storageError(res, 400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob is required for Put Blob.')
      )
    }
    const declared = contentLength(req)
    if (declared === undefined)
      return await drainThen(req, () => storageError(res, 411, 'MissingContentLengthHeader', 'Content-Length is required.'))
    const file = this.fileOf(blobName)
    await pipeline(req, createWriteStream(file))
    const size = statSync(file).size
    if (size !== declared) return storageError(res, 400, 'InvalidInput', `Body has ${size} bytes, Content-Length said ${declared}.`)
    const state = this.state(blobName)
    state.blocks.clear()
    this.commit(state, size)
    created(res, state)
  }

  private async putBlock(req: IncomingMessage, res: ServerResponse, blobName: string, blockId: string | null): Promise<void> {
    if (!blockId || !/^[A-Za-z0-9+/]+={0,2}$/.test(blockId)) {
      return await drainThen(req, () => storageError(res, 400, 'InvalidQueryParameterValue', 'blockid must be a base64 string.'))
    }
    const state = this.state(blobName)
    // Azure requires every block id of one blob to have the same length.
    const other = state.blocks.keys().next().value
    if (other !== undefined && Buffer.from(other, 'base64').length !== Buffer.from(blockId, 'base64').length) {
      return await drainThen(req, () => storageError(res, 400, 'InvalidBlobOrBlock', 'All block ids of a blob must have the same length.'))
    }
    const declared = contentLength(req)
    if (declared === undefined || declared > MAX_BLOCK_BYTES) {
      return await drainThen(req, () =>
        storageError(res, 400, 'InvalidHeaderValue', 'Content-Length is missing or the block is too large.')
      )
    }
    const file = `${this.fileOf(blobName)}.block-${Buffer.from(blockId, 'base64').toString('hex')}`
    await pipeline(req, createWriteStream(file))
    if (statSync(file).size !== declared) return storageError(res, 400, 'InvalidInput', 'Block body does not match Content-Length.')
    state.blocks.set(blockId, file)
    res.writeHead(201, { ...commonHeaders(), 'x-ms-request-server-encrypted': 'true', 'content-length': '0' }).end()
  }

  private async putBlockList(req: IncomingMessage, res: ServerResponse, blobName: string): Promise<void> {
    const xml = (await readBody(req)).toString('utf8')
    if (!/<BlockList>[^]*<\/BlockList>/.test(xml)) return storageError(res, 400, 'InvalidXmlDocument', 'The body is not a BlockList.')
    const ids = [...xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map(m => m[2])
    const state = this.state(blobName)
    const missing = ids.find(id => !state.blocks.has(id))
    if (missing !== undefined) return storageError(res, 400, 'InvalidBlockList', `Block ${missing} was never staged.`)
    const file = this.fileOf(blobName)
    await writeFile(file, '')
    for (const id of ids) await appendFile(file, await readFile(state.blocks.get(id) as string))
    for (const blockFile of state.blocks.values()) await rm(blockFile, { force: true })
    state.blocks.clear()
    this.commit(state, statSync(file).size)
    created(res, state)
  }

  private commit(state: BlobState, size: number): void {
    state.size = size
    state.etag = `"0x${randomBytes(8).toString('hex').toUpperCase()}"`
    state.lastModified = new Date()
  }

  private async read(req: IncomingMessage, res: ServerResponse, blobName: string): Promise<void> {
    await readBody(req)
    const state = this.blobs.get(blobName)
    const file = this.fileOf(blobName)
    if (state?.size === undefined || !existsSync(file)) return storageError(res, 404, 'BlobNotFound', 'The specified blob does not exist.')
    const size = state.size
    const headers: Record<string, string> = {
      ...commonHeaders(),
      'content-type': 'application/octet-stream',
      etag: state.etag as string,
      'last-modified': (state.lastModified as Date).toUTCString(),
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob'
    }
    const rangeHeader = (req.headers['x-ms-range'] ?? req.headers.range) as string | undefined
    let start = 0
    let end = size - 1
    let status = 200
    if (rangeHeader !== undefined) {
      const range = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader)
      if (!range || Number(range[1]) >= size) {
        return storageError(res, 416, 'InvalidRange', `The range ${rangeHeader} cannot be satisfied for a blob of ${size} bytes.`, {
          'content-range': `bytes */${size}`
        })
      }
      start = Number(range[1])
      end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1)
      status = 206
      headers['content-range'] = `bytes ${start}-${end}/${size}`
    }
    headers['content-length'] = String(size === 0 ? 0 : end - start + 1)
    res.writeHead(status, headers)
    if (req.method === 'HEAD' || size === 0) return void res.end()
    if (this.hooks.corrupt(blobName)) {
      // Same length, so the client's size check passes and the archive itself is what fails.
      return void res.end(randomBytes(end - start + 1))
    }
    await pipeline(createReadStream(file, { start, end }), res)
  }
}

function contentLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length']
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined
}

function commonHeaders(): Record<string, string> {
  return { 'x-ms-request-id': randomBytes(16).toString('hex'), 'x-ms-version': API_VERSION, date: new Date().toUTCString() }
}

function created(res: ServerResponse, state: BlobState): void {
  res
    .writeHead(201, {
      ...commonHeaders(),
      etag: state.etag as string,
      'last-modified': (state.lastModified as Date).toUTCString(),
      'x-ms-request-server-encrypted': 'true',
      'content-length': '0'
    })
    .end()
}

export function storageError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message.replace(/[<&]/g, c => (c === '<' ? '&lt;' : '&amp;'))}</Message></Error>`
  res
    .writeHead(status, {
      ...commonHeaders(),
      ...extra,
      'x-ms-error-code': code,
      'content-type': 'application/xml',
      'content-length': String(Buffer.byteLength(body))
    })
    .end(body)
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function drainThen(req: IncomingMessage, answer: () => void): Promise<void> {
  await readBody(req)
  answer()
}
