// After the build: export the built outputs' closures and their fixed-output dependencies as a Nix
// binary cache (signed with `cache-signing-key` when set), with a manifest, and upload it under this
// run's key. Only when it adds something: an exact hit is never uploaded again, and a size limit
// keeps one entry from crowding out the rest.
import { errorMessage } from '../errors.js'
import { mkdir, rm } from 'node:fs/promises'
import { formatBytes } from '../report/reporter.js'
import { closureWithSizes, directorySize, exportToBinaryCache } from './binary-cache.js'
import { cacheDirectory, cacheKeysFor } from './entry.js'
import { CACHE_FORMAT_VERSION } from './key.js'
import { type ManifestPath, writeManifest } from './manifest.js'
import { parseSigningKey, withKeyFile } from './signing.js'
import { addCacheSummary } from './summary.js'
import { cacheServiceUnavailableReason, saveEntry } from './transport.js'
import { type CacheSaveOptions, type CacheSaveResult, DEFAULT_CACHE_MAX_SIZE_BYTES } from './types.js'

export async function saveNixCache(options: CacheSaveOptions): Promise<CacheSaveResult> {
  const { reporter, restored } = options
  const started = Date.now()
  return reporter.group('Nix store cache: save', async () => {
    const result: CacheSaveResult = {
      status: 'skipped',
      key: restored?.key ?? '',
      roots: [],
      savedPaths: [],
      closureBytes: 0,
      savedBytes: 0,
      durationMs: 0,
      warnings: []
    }
    const finish = (status: CacheSaveResult['status'], reason?: string): CacheSaveResult => {
      result.status = status
      if (reason !== undefined) result.reason = reason
      result.durationMs = Date.now() - started
      if (status === 'too-large' || status === 'failed') {
        result.warnings.push(reason ?? status)
        reporter.warning(reason ?? status, { title: 'Nix store cache' })
      } else if (reason !== undefined) {
        reporter.info(`Nix store cache not saved: ${reason}.`)
      }
      addCacheSummary(reporter, restored, result)
      return result
    }

    const unavailable = cacheServiceUnavailableReason()
    if (unavailable !== undefined) return finish('unavailable', unavailable)
    try {
      if (result.key === '') result.key = (await cacheKeysFor(options)).key
      return await saveBuild(options, result, finish)
    } catch (error) {
      result.savedBytes = 0
      return finish(
        'failed',
        `The Nix store cache was not saved (${errorMessage(error)}). The build's result is unaffected; the next run builds these paths again.`
      )
    }
  })
}

type Finish = (status: CacheSaveResult['status'], reason?: string) => CacheSaveResult

async function saveBuild(options: CacheSaveOptions, result: CacheSaveResult, finish: Finish): Promise<CacheSaveResult> {
  const { restored } = options
  const key = result.key
  const skip = reasonNotToSave(options, key)
  if (skip !== undefined) return finish('skipped', skip)
  result.roots = rootsToSave(options.build)
  if (result.roots.length === 0) return finish('skipped', 'there are no built store paths to save')
  const closure = await closureWithSizes(options.nix, result.roots)
  result.savedPaths = closure.map(p => p.path)
  result.closureBytes = closure.reduce((sum, p) => sum + p.narSize, 0)

  // Only new paths justify an upload: a restore key's entry may already hold all of them.
  const held = new Set(restored?.entryPaths ?? [])
  const added = closure.filter(p => !held.has(p.path))
  if (added.length === 0)
    return finish('skipped', `the restored entry ${restored?.matchedKey ?? ''} already holds all ${closure.length} store paths`)

  const maxSize = options.maxSizeBytes ?? DEFAULT_CACHE_MAX_SIZE_BYTES
  if (result.closureBytes > maxSize) {
    return finish(
      'too-large',
      `The Nix store cache was not saved: the build's closure is ${formatBytes(result.closureBytes)}, over the limit of ${formatBytes(maxSize)}. ` +
        'Raise the `cache-max-size` input, or leave caching to a binary cache (e.g. Cachix) for closures this big.'
    )
  }

  const failure = await exportAndUpload(options, result, closure, added.length)
  if (failure !== undefined) {
    result.savedBytes = 0
    return finish(
      'failed',
      `The Nix store cache was not saved (${failure}). The build's result is unaffected; the next run builds these paths again.`
    )
  }
  options.reporter.info(`Saved ${key}.`)
  return finish('saved')
}

/** Why this run's entry must not be saved before anything is exported, or undefined. */
function reasonNotToSave({ build, restored }: CacheSaveOptions, key: string): string | undefined {
  if (restored?.status === 'hit') {
    return `the entry ${key} was restored as it is${build.builtDerivations.length > 0 ? ` (${build.builtDerivations.length} derivation(s) were built anyway)` : ''}, and cache entries cannot be overwritten`
  }
  if (restored?.status === 'failed' && restored.matchedKey === key) {
    return `the entry ${key} exists but could not be restored (see the warning above), and cache entries cannot be overwritten; it expires after 7 days unused, or delete it under Actions > Caches`
  }
  if (!build.ok) return 'the build did not succeed for every system, and a partial entry under this key would never be completed'
  return undefined
}

/** The built outputs and, with them, their valid fixed-output dependencies, sorted. */
function rootsToSave(build: CacheSaveOptions['build']): string[] {
  const outPaths = build.systems.filter(s => s.status === 'built').flatMap(s => s.outPaths)
  // The fixed-output dependencies (mixFodDeps, vendorHash, ...): what a changed package most often
  // shares with its last build. The build stage already knows them and whether they are valid.
  const fixedOutputs = build.fixedOutputs.filter(f => f.validAfter).flatMap(f => f.outputPaths)
  return [...new Set([...outPaths, ...fixedOutputs])].sort()
}

/** Exports the roots as a binary cache with its manifest and uploads it; the cache service's reason when it refused. */
async function exportAndUpload(
  options: CacheSaveOptions,
  result: CacheSaveResult,
  closure: ManifestPath[],
  addedCount: number
): Promise<string | undefined> {
  const { reporter } = options
  const key = result.key
  const dir = cacheDirectory(options)
  await rm(dir, { recursive: true, force: true })
  try {
    await mkdir(dir, { recursive: true })
    const signing = options.signingKey === undefined ? undefined : parseSigningKey(options.signingKey)
    if (signing)
      await withKeyFile(signing, secretKeyFile =>
        exportToBinaryCache(options.nix, dir, result.roots, { signal: options.signal, secretKeyFile })
      )
    else await exportToBinaryCache(options.nix, dir, result.roots, { signal: options.signal })
    await writeManifest(dir, {
      formatVersion: CACHE_FORMAT_VERSION,
      key,
      createdAt: new Date().toISOString(),
      nixVersion: await options.nix.version(),
      systems: options.systems,
      roots: result.roots,
      paths: closure
    })
    result.savedBytes = await directorySize(dir)
    reporter.info(
      `Uploading ${closure.length} store path(s) (${addedCount} new), ${formatBytes(result.savedBytes)} before compression, as ${key}`
    )
    const outcome = await saveEntry(dir, key, reporter)
    return outcome.kind === 'failed' ? outcome.reason : undefined
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
