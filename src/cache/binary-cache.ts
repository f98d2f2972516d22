// The Nix side of the cache: store paths out to a binary cache directory (`nix copy --to file://`)
// and back in (`nix copy --from file://`). A binary cache is Nix's own export format: every path
// arrives hash-checked against its narinfo, and the closure travels with it.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { NixRunner, ensureSuccess } from '../nix/runner.js'
import { stripAnsi } from '../nix/internal-json.js'
import { isFixedOutput, pathInfo, showDerivationClosure } from '../nix/store.js'
import type { ManifestPath } from './manifest.js'

export function binaryCacheUrl(dir: string): string {
  // Uncompressed NARs: @actions/cache compresses the whole entry with zstd (or gzip) anyway, and
  // compressing twice costs time on both ends for nothing.
  return `file://${dir}?compression=none`
}

/** The closure of these paths, with sizes and content addresses (one `nix path-info -r` call). */
export async function closureWithSizes(nix: NixRunner, roots: string[]): Promise<ManifestPath[]> {
  if (roots.length === 0) return []
  const infos = await pathInfo(nix, roots, { recursive: true })
  return [...infos.values()].filter(e => e.valid).map(e => ({ path: e.path, narSize: e.narSize ?? 0, ...(e.ca !== undefined ? { ca: e.ca } : {}) }))
}

/**
 * The valid outputs of the fixed-output derivations these derivations depend on. They are what a
 * changed package most often shares with its previous build (mixFodDeps, vendorHash, npmDepsHash):
 * caching them spares a fetch even when the package itself must be rebuilt.
 */
export async function fixedOutputPaths(nix: NixRunner, drvPaths: string[]): Promise<string[]> {
  const derivations = await showDerivationClosure(nix, drvPaths)
  const outputs = new Set<string>()
  for (const drv of derivations.values()) if (isFixedOutput(drv)) for (const o of Object.values(drv.outputs)) outputs.add(o.path)
  const infos = await pathInfo(nix, [...outputs])
  return [...outputs].filter(p => infos.get(p)?.valid === true).sort()
}

/** Copies the closures of these paths into a binary cache directory. */
export async function exportToBinaryCache(nix: NixRunner, dir: string, paths: string[], signal?: AbortSignal): Promise<void> {
  const tail = lastLines()
  const result = await nix.run({ args: ['copy', '--to', binaryCacheUrl(dir), ...paths], onLine: tail.push, signal })
  ensureSuccess(result, `nix copy --to file://${dir}`, tail.lines)
}

/**
 * Imports these paths (and their closures) from a binary cache directory. `checkSigs: false` is
 * honoured only for trusted users: the entry is unsigned, and a Nix daemon rejects unsigned
 * input-addressed paths from anyone else. Content-addressed paths need no signature.
 */
export async function importFromBinaryCache(nix: NixRunner, dir: string, paths: string[], options: { checkSigs: boolean; signal?: AbortSignal }): Promise<void> {
  if (paths.length === 0) return
  const tail = lastLines()
  const args = ['copy', '--from', `file://${dir}`, ...(options.checkSigs ? [] : ['--no-check-sigs']), ...paths]
  const result = await nix.run({ args, onLine: tail.push, signal: options.signal })
  ensureSuccess(result, `nix copy --from file://${dir}`, tail.lines)
}

/** Bytes under dir (files only; the binary cache holds no links). */
export async function directorySize(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}

function lastLines(keep = 20): { lines: string[]; push: (line: { text: string }) => void } {
  const lines: string[] = []
  return {
    lines,
    push: line => {
      lines.push(stripAnsi(line.text))
      if (lines.length > keep) lines.shift()
    }
  }
}
