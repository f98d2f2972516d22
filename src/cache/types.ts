import type { NixRunner } from '../nix/runner.js'
import type { Reporter } from '../report/reporter.js'

export interface NixCacheOptions {
  nix: NixRunner
  reporter: Reporter
  /** The workspace; relative flake references resolve from here. */
  cwd: string
  /** The flake reference being built (its lock and Nix files go into the key). */
  flake: string
  systems: string[]
  /**
   * Where the entry is unpacked and packed (default: $RUNNER_TEMP/nix-ci-store-cache). @actions/cache
   * versions entries by this path, so it must be the same on every run that should share entries.
   */
  cacheDir?: string
  signal?: AbortSignal
  /**
   * `cache-signing-key`, in `nix key generate-secret`'s format: saved entries are signed with it, and
   * restored input-addressed paths must carry its signature. Without it, input-addressed paths are
   * never restored, whatever key matched (see trust.ts).
   */
  signingKey?: string
}

/** Whether this Nix user may import unsigned input-addressed paths (see restore.ts). */
export type StoreTrust = 'trusted' | 'untrusted'

export interface CacheRestoreOptions extends NixCacheOptions {
  /** Skips detection (`nix show-config` + the user's groups); for tests and for callers that know. */
  trust?: StoreTrust
}

export type CacheRestoreStatus =
  /** The entry of this exact key was restored. */
  | 'hit'
  /** An older entry (a restore key) was restored: some of the build may still run. */
  | 'partial-hit'
  | 'miss'
  /** The service failed or the entry was corrupt: warned, and the build runs uncached. */
  | 'failed'
  /** Not on GitHub Actions (no cache service): nothing tried. */
  | 'unavailable'

export interface CacheRestoreResult {
  status: CacheRestoreStatus
  key: string
  restoreKeys: string[]
  /** The entry the service matched (also when downloading or importing it then failed). */
  matchedKey?: string
  /** Store paths the entry holds (from its manifest), when one was restored. */
  entryPaths: string[]
  /**
   * Store paths that came from the cache: invalid before the restore, valid after. Fixed-output
   * ones among them were built by someone else, earlier: the hash stage re-verifies them.
   */
  restoredPaths: string[]
  /** The content-addressed (fixed-output) subset of restoredPaths. */
  restoredFixedOutputs: string[]
  /** Paths of the entry not imported: input-addressed paths this Nix user may not bring in, or that no signing key vouches for. */
  skippedPaths: string[]
  /** Why skippedPaths were left out. */
  skipReason?: SkipReason
  /** Size of the unpacked entry (uncompressed NARs). */
  downloadedBytes: number
  /** NAR size of restoredPaths. */
  importedBytes: number
  durationMs: number
  /** The warnings this restore reported (also sent to the Reporter). */
  warnings: string[]
}

/** Why a restore left input-addressed paths out: the daemon's trust, or no `cache-signing-key` to check them with. */
export type SkipReason = 'untrusted-user' | 'no-signing-key'

/** What save needs from a build; a BuildStageResult is one. */
export interface CacheableBuild {
  ok: boolean
  systems: { system: string; status: string; drvPath?: string; outPaths: string[] }[]
  builtDerivations: string[]
  /** The fixed-output derivations of the built closures, with their outputs and whether those are valid. */
  fixedOutputs: { outputPaths: string[]; validAfter: boolean }[]
}

export interface CacheSaveOptions extends NixCacheOptions {
  build: CacheableBuild
  /** The restore of this run: an exact hit is never saved again, and only new paths justify a save. */
  restored?: CacheRestoreResult
  /** Entries whose closure is larger than this are not saved (a warning says so). */
  maxSizeBytes?: number
}

export type CacheSaveStatus = 'saved' | 'skipped' | 'too-large' | 'failed' | 'unavailable'

export interface CacheSaveResult {
  status: CacheSaveStatus
  key: string
  /** Why nothing was saved (skipped, too-large, failed, unavailable). */
  reason?: string
  /** Roots saved: built outputs and the fixed-output paths they depend on. */
  roots: string[]
  /** Every store path in the saved entry (the roots' closure). */
  savedPaths: string[]
  /** NAR size of the roots' closure (what the size limit applies to). */
  closureBytes: number
  /** Size of the entry directory handed to the cache service (before its zstd/gzip compression). */
  savedBytes: number
  durationMs: number
  warnings: string[]
}

/** 2 GiB: well inside the 10 GiB a repository gets, so one big entry does not evict every other. */
export const DEFAULT_CACHE_MAX_SIZE_BYTES = 2 * 1024 ** 3
