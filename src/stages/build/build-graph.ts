// The derivation graph the build stage works on: each system's closure, its fixed-output
// derivations, and the names the build log's lines are prefixed with.
import { Derivation, isFixedOutput } from '../../nix/store.js'
import type { SystemPlan } from '../../setup/platforms.js'
import type { FixedOutputInfo } from './types.js'

/**
 * FODs of native systems whose outputs the emulated systems also need: a FOD's output path does
 * not depend on its system, so realising these natively spares fetching them again under QEMU.
 */
export function nativeFodsSharedWithEmulated(
  plans: SystemPlan[],
  closures: Map<string, Set<string>>,
  derivations: Map<string, Derivation>
): string[] {
  const fodOutputs = (system: string): Map<string, string> => {
    const outputs = new Map<string, string>()
    for (const drvPath of closures.get(system) ?? []) {
      const drv = derivations.get(drvPath)
      if (drv && isFixedOutput(drv)) for (const o of Object.values(drv.outputs)) outputs.set(o.path, drvPath)
    }
    return outputs
  }
  const emulatedNeeds = new Set<string>()
  // A remote builder gets them copied from here rather than fetching them again.
  for (const plan of plans.filter(p => p.mode === 'emulated' || p.mode === 'remote'))
    for (const path of fodOutputs(plan.system).keys()) emulatedNeeds.add(path)
  const first = new Set<string>()
  for (const plan of plans.filter(p => p.mode === 'native')) {
    for (const [path, drvPath] of fodOutputs(plan.system)) if (emulatedNeeds.has(path)) first.add(drvPath)
  }
  return [...first].sort()
}

export function outputPathsOf(drvPath: string, derivations: Map<string, Derivation>): string[] {
  return Object.values(derivations.get(drvPath)?.outputs ?? {}).map(o => o.path)
}

export function indexSystemsByDrv(closures: Map<string, Set<string>>): Map<string, string[]> {
  const index = new Map<string, string[]>()
  for (const [system, closure] of closures) for (const drv of closure) index.set(drv, [...(index.get(drv) ?? []), system])
  return index
}

export function prefixLine(
  text: string,
  drvPath: string | undefined,
  systemsOfDrv: Map<string, string[]>,
  derivations: Map<string, Derivation>
): string {
  if (drvPath === undefined) return text
  const drv = derivations.get(drvPath)
  const system = drv?.system ?? systemsOfDrv.get(drvPath)?.join(',') ?? '?'
  const name = drv?.name ?? drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, '')
  return `[${system}] ${name}> ${text}`
}

/** A fixed-output derivation's facts, with whether its outputs were valid before and after the build. */
export function fixedOutputInfos(
  fodDrvs: string[],
  derivations: Map<string, Derivation>,
  closures: Map<string, Set<string>>,
  validBefore: (drvPath: string) => boolean,
  validAfter: (drvPath: string) => boolean
): FixedOutputInfo[] {
  return fodDrvs.map(drvPath => {
    const drv = derivations.get(drvPath) as Derivation
    const output = Object.values(drv.outputs)[0]
    return {
      drvPath,
      name: drv.name,
      system: drv.system,
      outputPaths: outputPathsOf(drvPath, derivations),
      hash: output?.fixed?.sri ?? '',
      hashAlgo: output?.fixed?.algo ?? '',
      validBefore: validBefore(drvPath),
      validAfter: validAfter(drvPath),
      neededBy: [...closures].filter(([, closure]) => closure.has(drvPath)).map(([system]) => system)
    }
  })
}
