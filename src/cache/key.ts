// The cache key of a run: which systems, which Nix, and a digest of everything that decides what the
// build produces before any source is compiled: flake.lock, the lock files fixed-output derivations
// read, and the flake's Nix files. Pure: the files are read by flake-digest.ts.
import { createHash } from 'node:crypto'

/** Bump when the entry's layout changes, so old entries are never restored into a new layout. */
export const CACHE_FORMAT_VERSION = 1
const PREFIX = `nix-ci-store-v${CACHE_FORMAT_VERSION}`

export interface DigestedFile {
  /** Path relative to the flake directory, `/`-separated. */
  path: string
  /** sha256 of the content, hex. */
  sha256: string
}

export interface CacheKeyInput {
  systems: string[]
  nixVersion: string
  /** The flake's inputs that decide the build (see flake-digest.ts). */
  files: DigestedFile[]
  /** A flake reference with no local files (e.g. `github:owner/repo`) stands in for them. */
  remoteFlake?: string
}

export interface CacheKeys {
  key: string
  /** Fallbacks, most specific first: same systems and Nix, then same systems on any Nix. */
  restoreKeys: string[]
}

export function cacheKeys(input: CacheKeyInput): CacheKeys {
  // Sorted, so `x86_64-linux aarch64-linux` and the reverse share entries. Commas are not allowed in keys.
  const systems = [...new Set(input.systems)].sort().join('+')
  const nix = `nix${input.nixVersion}`
  const files = [...input.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const lines = files.map(f => `${f.sha256}  ${f.path}`)
  if (input.remoteFlake !== undefined) lines.push(`remote ${input.remoteFlake}`)
  const sourceDigest = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32)
  const systemsPrefix = `${PREFIX}-${systems}-`
  return {
    key: `${systemsPrefix}${nix}-${sourceDigest}`,
    restoreKeys: [`${systemsPrefix}${nix}-`, systemsPrefix]
  }
}
