// The `push-to` input: a Nix store URL, what kind of store it is (which decides how paths are
// signed and whether their closures must travel too), and how to name it without its secrets.

export type StoreKind =
  /** file://, http(s)://, s3://: narinfos and NARs; the store signs what it writes (`secret-key`). */
  | 'binary-cache'
  /** ssh://, ssh-ng://: a real Nix store on another machine; references must arrive first. */
  | 'ssh'

export interface PushTarget {
  url: string
  kind: StoreKind
  /** The URL without user info or query parameters, for logs and the summary. */
  display: string
}

export class PushTargetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PushTargetError'
  }
}

const SCHEMES: Record<string, StoreKind> = {
  'file:': 'binary-cache',
  'http:': 'binary-cache',
  'https:': 'binary-cache',
  's3:': 'binary-cache',
  'ssh:': 'ssh',
  'ssh-ng:': 'ssh'
}

export function parsePushTarget(value: string): PushTarget {
  const url = value.trim()
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new PushTargetError(
      `'${displayStore(url)}' is not a store URL: use file:///path, https://cache.example.org, s3://bucket or ssh-ng://user@host`
    )
  }
  const kind = SCHEMES[parsed.protocol]
  if (kind === undefined) {
    throw new PushTargetError(
      `'${displayStore(url)}' is a ${parsed.protocol.replace(/:$/, '')} URL; push-to takes file://, http(s)://, s3://, ssh:// or ssh-ng:// stores`
    )
  }
  if (parsed.protocol === 'file:' && !parsed.pathname.startsWith('/'))
    throw new PushTargetError(`'${displayStore(url)}': a file:// store needs an absolute path (file:///srv/cache)`)
  return { url, kind, display: displayStore(url) }
}

/** The store URL without a password or query parameters (keys, profiles); a user name stays. */
export function displayStore(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@:]*):[^/@]*@/i, '$1$2:***@').replace(/\?.*$/, '')
}

/** A binary cache URL that makes the store sign every narinfo it writes with this key file. */
export function withSecretKey(url: string, secretKeyFile: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}secret-key=${encodeURIComponent(secretKeyFile)}`
}
