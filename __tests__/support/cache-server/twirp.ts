// The Actions cache service v2 as @actions/cache 6 calls it: Twirp JSON RPC under
// /twirp/github.actions.results.api.v1.CacheService/<Method>. Requests are checked the way the
// service checks them (POST, application/json, bearer token, key and version rules), and entries
// follow its life cycle: reserved by CreateCacheEntry, uploaded to the signed blob URL, finalized
// with the uploaded size, and only then downloadable.

export const SERVICE = 'github.actions.results.api.v1.CacheService'
export const METHODS = ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'] as const
export type TwirpMethod = (typeof METHODS)[number]

/** Twirp error codes and the HTTP status each travels with. */
export const TWIRP_STATUS = {
  bad_route: 404,
  malformed: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  internal: 500,
  unavailable: 503
} as const
export type TwirpCode = keyof typeof TWIRP_STATUS

export class TwirpError extends Error {
  constructor(
    readonly code: TwirpCode,
    message: string
  ) {
    super(message)
  }
  get status(): number {
    return TWIRP_STATUS[this.code]
  }
  body(): string {
    return JSON.stringify({ code: this.code, msg: this.message })
  }
}

export interface CacheEntry {
  id: number
  key: string
  version: string
  blobName: string
  state: 'reserved' | 'finalized'
  sizeBytes?: number
  /** Monotonic creation order: "newest" for restore-key matching. */
  createdSeq: number
}

export interface BlobView {
  committedSize(blobName: string): number | undefined
  signedUrl(blobName: string, permission: 'r' | 'cw'): string
}

type Json = Record<string, unknown>

export class CacheService {
  readonly entries: CacheEntry[] = []
  private seq = 0

  constructor(private readonly blobs: BlobView) {}

  call(method: TwirpMethod, body: Json): Json {
    switch (method) {
      case 'CreateCacheEntry':
        return this.create(body)
      case 'FinalizeCacheEntryUpload':
        return this.finalize(body)
      case 'GetCacheEntryDownloadURL':
        return this.downloadUrl(body)
    }
  }

  /** Removes every entry, as GitHub does with entries unused for 7 days or when a repository is over its quota. */
  evictAll(): void {
    this.entries.splice(0)
  }

  /** An entry as if another job had saved it (for "already exists" scenarios). */
  entryFor(key: string, version: string): CacheEntry | undefined {
    return this.entries.find(e => e.key === key && e.version === version)
  }

  private create(body: Json): Json {
    const key = requireKey(body, 'key')
    const version = requireVersion(body)
    if (this.entryFor(key, version))
      throw new TwirpError('already_exists', `cache entry with the same key, version, and scope already exists: ${key}`)
    const id = ++this.seq
    const entry: CacheEntry = { id, key, version, blobName: `entry-${id}`, state: 'reserved', createdSeq: id }
    this.entries.push(entry)
    return { ok: true, signed_upload_url: this.blobs.signedUrl(entry.blobName, 'cw') }
  }

  private finalize(body: Json): Json {
    const key = requireKey(body, 'key')
    const version = requireVersion(body)
    const size = requireInt64(body, 'size_bytes')
    const entry = this.entryFor(key, version)
    if (!entry) throw new TwirpError('not_found', `no cache entry reserved for key ${key} and this version`)
    if (entry.state === 'finalized') throw new TwirpError('already_exists', `cache entry ${key} is already finalized`)
    const uploaded = this.blobs.committedSize(entry.blobName)
    if (uploaded === undefined) throw new TwirpError('failed_precondition', `nothing was uploaded for cache entry ${key}`)
    if (uploaded !== size) throw new TwirpError('invalid_argument', `size_bytes ${size} does not match the ${uploaded} bytes uploaded`)
    entry.state = 'finalized'
    entry.sizeBytes = size
    return { ok: true, entry_id: String(entry.id) }
  }

  private downloadUrl(body: Json): Json {
    const key = requireKey(body, 'key')
    const version = requireVersion(body)
    const restoreKeys = body.restore_keys ?? []
    if (!Array.isArray(restoreKeys) || !restoreKeys.every(k => typeof k === 'string'))
      throw new TwirpError('invalid_argument', 'restore_keys must be a list of strings')
    for (const k of restoreKeys) checkKey(k, 'restore_keys')
    if (restoreKeys.length > 9) throw new TwirpError('invalid_argument', 'at most 10 keys (key and restore_keys) may be given')
    const usable = this.entries.filter(e => e.version === version && e.state === 'finalized')
    const newest = (candidates: CacheEntry[]): CacheEntry | undefined => candidates.sort((a, b) => b.createdSeq - a.createdSeq)[0]
    let match = usable.find(e => e.key === key)
    for (const restoreKey of restoreKeys as string[]) {
      match ??= usable.find(e => e.key === restoreKey) ?? newest(usable.filter(e => e.key.startsWith(restoreKey)))
    }
    if (!match) return { ok: false, signed_download_url: '', matched_key: '' }
    return { ok: true, signed_download_url: this.blobs.signedUrl(match.blobName, 'r'), matched_key: match.key }
  }
}

function checkKey(key: string, field: string): void {
  if (key === '') throw new TwirpError('invalid_argument', `${field} must not be empty`)
  if (key.length > 512) throw new TwirpError('invalid_argument', `${field} is longer than 512 characters`)
  if (key.includes(',')) throw new TwirpError('invalid_argument', `${field} must not contain commas`)
}

function requireKey(body: Json, field: string): string {
  const key = body[field]
  if (typeof key !== 'string') throw new TwirpError('invalid_argument', `${field} is required`)
  checkKey(key, field)
  return key
}

function requireVersion(body: Json): string {
  const version = body.version
  // @actions/cache sends sha256(paths | compression | salt) in hex.
  if (typeof version !== 'string' || !/^[0-9a-f]{64}$/.test(version))
    throw new TwirpError('invalid_argument', 'version must be a 64-character hex digest')
  return version
}

function requireInt64(body: Json, field: string): number {
  const value = body[field]
  // proto3 JSON writes int64 as a decimal string; a number is accepted too.
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value
  throw new TwirpError('invalid_argument', `${field} must be a non-negative int64`)
}
