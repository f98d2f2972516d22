// The Nix side of the cache: store paths out to a binary cache directory (`nix copy --to file://`)
// and back in (`nix copy --from file://`). A binary cache is Nix's own export format: every path
// arrives hash-checked against its narinfo, and the closure travels with it.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { NixRunner, ensureSuccess } from '../nix/runner.js'
import { stripAnsi } from '../nix/internal-json.js'
import { pathInfo } from '../nix/store.js'
import type { ManifestPath } from './manifest.js'

export function binaryCacheUrl(dir: string, secretKeyFile?: string): string {
  // Uncompressed NARs: @actions/cache compresses the whole entry with zstd (or gzip) anyway, and
  // compressing twice costs time on both ends for nothing. `secret-key` makes the binary cache store
  // sign every narinfo it writes (Nix 2.8 and every later version have this store setting).
  return `file://${dir}?compression=none${secretKeyFile ? `&secret-key=${encodeURIComponent(secretKeyFile)}` : ''}`
}

/** The closure of these paths, with sizes and content addresses (one `nix path-info -r` call). */
export async function closureWithSizes(nix: NixRunner, roots: string[]): Promise<ManifestPath[]> {
  if (roots.length === 0) return []
  const infos = await pathInfo(nix, roots, { recursive: true })
  return [...infos.values()]
    .filter(e => e.valid)
    .map(e => ({ path: e.path, narSize: e.narSize ?? 0, ...(e.ca !== undefined ? { ca: e.ca } : {}) }))
}

/** Copies the closures of these paths into a binary cache directory, signed with the key in `secretKeyFile` if given. */
export async function exportToBinaryCache(
  nix: NixRunner,
  dir: string,
  paths: string[],
  options: { signal?: AbortSignal; secretKeyFile?: string } = {}
): Promise<void> {
  const tail = lastLines()
  const result = await nix.run({
    args: ['copy', '--to', binaryCacheUrl(dir, options.secretKeyFile)],
    positional: paths,
    onLine: tail.push,
    signal: options.signal
  })
  ensureSuccess(result, `nix copy --to file://${dir}`, tail.lines)
}

/**
 * How an import is checked (never `--no-check-sigs`: an entry is anyone's who can write to the cache):
 * - `signature`: every path must carry a signature by this public key (or be content-addressed);
 *   signatures are required whatever nix.conf says;
 * - `content-addressed`: signatures are required whatever nix.conf says, and no key is added, so
 *   what passes is content-addressed (its store path checked against its content by Nix) or signed
 *   by a key the store already trusted; this covers the closure a narinfo drags in too;
 * - `store`: the store's own rules, for an untrusted daemon user, whose settings the daemon ignores.
 */
export type ImportCheck = { kind: 'signature'; publicKey: string } | { kind: 'content-addressed' } | { kind: 'store' }

/** Imports these paths (and their closures) from a binary cache directory; Nix checks every NAR against its hash. */
export async function importFromBinaryCache(
  nix: NixRunner,
  dir: string,
  paths: string[],
  options: { check: ImportCheck; signal?: AbortSignal }
): Promise<void> {
  if (paths.length === 0) return
  const tail = lastLines()
  const check = options.check
  const flags =
    check.kind === 'signature'
      ? ['--option', 'require-sigs', 'true', '--option', 'extra-trusted-public-keys', check.publicKey]
      : check.kind === 'content-addressed'
        ? ['--option', 'require-sigs', 'true']
        : []
  const args = ['copy', '--from', `file://${dir}`, ...flags]
  const result = await nix.run({ args, positional: paths, onLine: tail.push, signal: options.signal })
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
