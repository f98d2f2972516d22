// Before the build: fetch the newest matching entry and import its store paths, so the build finds
// them valid and skips them. Which paths, and checked how, is trust.ts's import plan: never an
// unsigned input-addressed path, whatever key matched. Every failure here is a warning: the
// build then simply runs uncached.
import { errorMessage } from '../errors.js'
import { rm } from 'node:fs/promises'
import { pathInfo } from '../nix/store.js'
import { formatBytes } from '../report/reporter.js'
import { directorySize, importFromBinaryCache } from './binary-cache.js'
import { cacheDirectory, cacheKeysFor } from './entry.js'
import { CacheManifest, CorruptEntryError, readManifest } from './manifest.js'
import { cacheServiceUnavailableReason, restoreEntry } from './transport.js'
import { parseSigningKey } from './signing.js'
import { NO_SIGNING_KEY_HINT, SIGNATURE_HINT, UNTRUSTED_HINT, detectStoreTrust, importPlan } from './trust.js'
import type { CacheRestoreOptions, CacheRestoreResult } from './types.js'

export async function restoreNixCache(options: CacheRestoreOptions): Promise<CacheRestoreResult> {
  const { reporter } = options
  const started = Date.now()
  return reporter.group('Nix store cache: restore', async () => {
    const result: CacheRestoreResult = {
      status: 'miss',
      key: '',
      restoreKeys: [],
      entryPaths: [],
      restoredPaths: [],
      restoredFixedOutputs: [],
      skippedPaths: [],
      downloadedBytes: 0,
      importedBytes: 0,
      durationMs: 0,
      warnings: []
    }
    const warn = (message: string): void => {
      result.warnings.push(message)
      reporter.warning(message, { title: 'Nix store cache' })
    }
    const dir = cacheDirectory(options)
    try {
      Object.assign(result, await cacheKeysFor(options))
      const unavailable = cacheServiceUnavailableReason()
      if (unavailable !== undefined) {
        reporter.info(`Nix store cache off for this run: ${unavailable}.`)
        return { ...result, status: 'unavailable', durationMs: Date.now() - started }
      }
      reporter.info(`Key ${result.key}; restore keys ${result.restoreKeys.join(', ')}`)
      // A leftover from an earlier run on this runner would be taken for the restored entry.
      await rm(dir, { recursive: true, force: true })
      await restoreInto(dir, options, result, warn)
    } catch (error) {
      // Anything else (a Nix query, the file system): still only the cache that failed, not the run.
      result.status = 'failed'
      warn(`The Nix store cache could not be restored (${errorMessage(error)}). The build runs without it; nothing is lost.`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    result.durationMs = Date.now() - started
    return result
  })
}

async function restoreInto(
  dir: string,
  options: CacheRestoreOptions,
  result: CacheRestoreResult,
  warn: (message: string) => void
): Promise<void> {
  const outcome = await restoreEntry(dir, result.key, result.restoreKeys, options.reporter)
  if (outcome.kind === 'miss') {
    options.reporter.info('No cache entry for this key or its restore keys: building from scratch.')
    return
  }
  if (outcome.kind === 'failed') {
    result.status = 'failed'
    result.matchedKey = outcome.matchedKey
    warn(`The Nix store cache could not be restored (${outcome.reason}). The build runs without it; nothing is lost.`)
    return
  }
  result.matchedKey = outcome.matchedKey
  result.status = outcome.matchedKey === result.key ? 'hit' : 'partial-hit'
  let manifest: CacheManifest
  try {
    manifest = await readManifest(dir)
  } catch (error) {
    if (!(error instanceof CorruptEntryError)) throw error
    result.status = 'failed'
    warn(`The cache entry ${outcome.matchedKey} is corrupt (${error.message}) and was ignored. The build runs without it; nothing is lost.`)
    return
  }
  result.downloadedBytes = await directorySize(dir)
  result.entryPaths = manifest.paths.map(p => p.path)
  await importEntry(options, dir, manifest, result, warn)
}

async function importEntry(
  options: CacheRestoreOptions,
  dir: string,
  manifest: CacheManifest,
  result: CacheRestoreResult,
  warn: (message: string) => void
): Promise<void> {
  const { nix, reporter } = options
  const before = await pathInfo(
    nix,
    manifest.paths.map(p => p.path)
  )
  const missing = manifest.paths.filter(p => before.get(p.path)?.valid !== true)
  if (missing.length === 0) {
    reporter.info(`Entry ${result.matchedKey}: all ${manifest.paths.length} store paths are already valid here.`)
    return
  }
  const trust = options.trust ?? (await detectStoreTrust(nix))
  const signing = options.signingKey === undefined ? undefined : parseSigningKey(options.signingKey)
  const plan = importPlan(missing, { trust, publicKey: signing?.publicKey })
  result.skippedPaths = plan.skipped
  if (plan.skipped.length > 0) result.skipReason = plan.reason
  if (plan.reason === 'untrusted-user') warn(`${plan.skipped.length} of the cache entry's store paths were not imported. ${UNTRUSTED_HINT}`)
  if (plan.reason === 'no-signing-key' && plan.skipped.length > 0) {
    const matched = result.matchedKey === result.key ? "matched this run's key" : "matched a restore key, not this run's key"
    reporter.info(
      `Entry ${result.matchedKey} ${matched}: ${NO_SIGNING_KEY_HINT} ${plan.skipped.length} input-addressed path(s) are built instead.`
    )
  }
  try {
    await importFromBinaryCache(nix, dir, plan.importable, { check: plan.check, signal: options.signal })
  } catch (error) {
    // What did arrive stays valid (and passed its checks) and is counted below; the rest the build makes itself.
    // Nix 2.8 says "lacks a valid signature", 2.34 "lacks a signature by a trusted key".
    const message = errorMessage(error)
    result.status = 'failed'
    warn(
      `Importing the cache entry ${result.matchedKey} into the Nix store failed (${message}). ` +
        `${plan.check.kind === 'signature' && /signature/i.test(message) ? `${SIGNATURE_HINT} ` : ''}The build runs without the missing paths; nothing is lost.`
    )
  }
  const after = await pathInfo(
    nix,
    missing.map(p => p.path)
  )
  const restored = missing.filter(p => after.get(p.path)?.valid === true)
  result.restoredPaths = restored.map(p => p.path)
  result.restoredFixedOutputs = restored.filter(p => p.ca?.startsWith('fixed:')).map(p => p.path)
  result.importedBytes = restored.reduce((sum, p) => sum + p.narSize, 0)
  reporter.info(
    `Restored ${restored.length} store path(s), ${formatBytes(result.importedBytes)}, from ${result.matchedKey}` +
      ` (${result.restoredFixedOutputs.length} fixed-output; ${manifest.paths.length - missing.length} were already valid).`
  )
}
