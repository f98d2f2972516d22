// Store queries the stages share: derivation graphs and path info, each one nix call for many
// paths, in the spelling this Nix takes (version.ts) and read by the JSON layer (json.ts).
import { Derivation, PathInfo, parseDerivationShow, parsePathInfo } from './json.js'
import { readDerivationClosure } from './drv-file.js'
import { NixRunner, ensureSuccess } from './runner.js'
import { derivationShowCommand, pathInfoJsonFlags } from './version.js'

export type { Derivation, DerivationOutput, PathInfo } from './json.js'

const BIG_JSON = 512 << 20

/**
 * The derivations of these drvs' closures, keyed by full .drv path: read from their .drv files
 * when every one checks out against its store path (drv-file.ts), else `nix derivation show -r`.
 */
export async function showDerivationClosure(nix: NixRunner, drvPaths: string[]): Promise<Map<string, Derivation>> {
  if (drvPaths.length === 0) return new Map()
  return readDerivationClosure(drvPaths) ?? (await nixDerivationShow(nix, drvPaths))
}

/** `nix derivation show -r` itself, read by the JSON layer. */
export async function nixDerivationShow(nix: NixRunner, drvPaths: string[]): Promise<Map<string, Derivation>> {
  if (drvPaths.length === 0) return new Map()
  const version = await nix.versionInfo()
  const command = derivationShowCommand(version)
  const result = await nix.run({ args: [...command, '-r'], positional: drvPaths, captureStdoutBytes: BIG_JSON })
  ensureSuccess(result, `nix ${command.join(' ')} -r`)
  return parseDerivationShow(result.stdout, version)
}

export function isFixedOutput(drv: Derivation): boolean {
  return Object.values(drv.outputs).some(o => o.fixed !== undefined)
}

/** All drv paths reachable from root through inputDrvs (root included). */
export function closureOf(root: string, derivations: Map<string, Derivation>): Set<string> {
  const seen = new Set<string>()
  const stack = [root]
  while (stack.length > 0) {
    const drvPath = stack.pop() as string
    if (seen.has(drvPath)) continue
    seen.add(drvPath)
    for (const input of derivations.get(drvPath)?.inputDrvs ?? []) stack.push(input)
  }
  return seen
}

/**
 * Validity and sizes of store paths in one call; invalid paths are reported, not thrown.
 * `recursive` lists the paths' whole closures instead (without closure sizes, which would cost
 * a closure walk per path).
 */
export async function pathInfo(
  nix: NixRunner,
  paths: string[],
  options: { recursive?: boolean; store?: string } = {}
): Promise<Map<string, PathInfo>> {
  if (paths.length === 0) return new Map()
  const version = await nix.versionInfo()
  // `store`: another store (a binary cache, ssh-ng://): which of the paths it holds. No -S there:
  // a closure size needs the whole closure in that store.
  const sizes = options.recursive ? ['-r'] : options.store === undefined ? ['-S'] : []
  const args = ['path-info', ...pathInfoJsonFlags(version), ...sizes, ...(options.store !== undefined ? ['--store', options.store] : [])]
  const tail: string[] = []
  const result = await nix.run({
    args,
    positional: paths,
    captureStdoutBytes: BIG_JSON,
    onLine: line => {
      if (line.stream !== 'stderr') return
      tail.push(line.text)
      if (tail.length > 20) tail.shift()
    }
  })
  ensureSuccess(
    result,
    `nix path-info${options.recursive ? ' -r' : ''}${options.store !== undefined ? ` --store ${options.store}` : ''}`,
    options.store !== undefined ? tail : []
  )
  return parsePathInfo(result.stdout, version)
}
