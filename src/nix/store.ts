// Store queries the stages share: derivation graphs and path info, each one nix call for many paths.
import { NixRunner, ensureSuccess } from './runner.js'

export interface DerivationOutput {
  path: string
  /** Present only on fixed-output derivations. */
  hashAlgo?: string
  hash?: string
}

export interface Derivation {
  drvPath: string
  name: string
  system: string
  outputs: Record<string, DerivationOutput>
  inputDrvs: string[]
}

const BIG_JSON = 512 << 20

/** The derivations of these drvs' closures (`nix show-derivation -r`), keyed by .drv path. */
export async function showDerivationClosure(nix: NixRunner, drvPaths: string[]): Promise<Map<string, Derivation>> {
  if (drvPaths.length === 0) return new Map()
  const result = await nix.run({ args: ['show-derivation', '-r', ...drvPaths], captureStdoutBytes: BIG_JSON })
  ensureSuccess(result, 'nix show-derivation -r')
  const raw = JSON.parse(result.stdout) as Record<
    string,
    { outputs?: Record<string, DerivationOutput>; inputDrvs?: Record<string, unknown>; system?: string; env?: Record<string, string> }
  >
  const derivations = new Map<string, Derivation>()
  for (const [drvPath, d] of Object.entries(raw)) {
    derivations.set(drvPath, {
      drvPath,
      name: d.env?.name ?? drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, '').replace(/\.drv$/, ''),
      system: d.system ?? 'unknown',
      outputs: d.outputs ?? {},
      inputDrvs: Object.keys(d.inputDrvs ?? {})
    })
  }
  return derivations
}

export function isFixedOutput(drv: Derivation): boolean {
  return Object.values(drv.outputs).some(o => o.hash !== undefined && o.hash !== '')
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

export interface PathInfo {
  path: string
  valid: boolean
  narSize?: number
  closureSize?: number
}

/** Validity and sizes of store paths in one call; invalid paths are reported, not thrown. */
export async function pathInfo(nix: NixRunner, paths: string[]): Promise<Map<string, PathInfo>> {
  const infos = new Map<string, PathInfo>()
  if (paths.length === 0) return infos
  const result = await nix.run({ args: ['path-info', '--json', '-S', ...paths], captureStdoutBytes: BIG_JSON })
  ensureSuccess(result, 'nix path-info')
  for (const entry of JSON.parse(result.stdout) as Array<Record<string, unknown>>) {
    const path = String(entry.path)
    infos.set(path, {
      path,
      valid: entry.valid !== false,
      narSize: typeof entry.narSize === 'number' ? entry.narSize : undefined,
      closureSize: typeof entry.closureSize === 'number' ? entry.closureSize : undefined
    })
  }
  return infos
}
