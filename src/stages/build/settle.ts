// Settles each system's result from the store itself (valid outputs = built), then checks what was
// built: the ELF machine of every file, and where it was built (this machine or a remote builder).
import { checkElfMachines, machineName } from '../../nix/elf.js'
import { machineHost } from '../../nix/machines.js'
import type { NixRunner } from '../../nix/runner.js'
import type { Derivation, PathInfo } from '../../nix/store.js'
import { RemoteBuilders, lostBuilder } from '../../setup/remote-builders.js'
import type { BuildLog } from './build-log.js'
import { outputPathsOf } from './build-graph.js'
import type { FailedDerivation, SystemBuildResult } from './types.js'

/** Decides each system's status from the store itself, then checks what was built. */
export async function settleResults(
  infos: Map<string, PathInfo>,
  evaluated: { system: string; drvPath: string }[],
  results: Map<string, SystemBuildResult>,
  derivations: Map<string, Derivation>,
  closures: Map<string, Set<string>>,
  log: BuildLog,
  mainStart: number,
  cancelled: boolean
): Promise<void> {
  for (const { system, drvPath } of evaluated) {
    const result = results.get(system) as SystemBuildResult
    const valid = result.outPaths.length > 0 && result.outPaths.every(p => infos.get(p)?.valid === true)
    const top = log.builds.get(drvPath)
    result.alreadyValid = valid && top === undefined && ![...(closures.get(system) ?? [])].some(d => log.builds.has(d))
    result.durationMs = top?.stoppedAt !== undefined ? top.stoppedAt - mainStart : result.alreadyValid ? 0 : undefined
    result.failures = failuresIn(closures.get(system) ?? new Set(), derivations, log)
    if (!valid) {
      result.status = cancelled ? 'cancelled' : 'failed'
      result.error ??= cancelled
        ? 'The build was cancelled before this system finished.'
        : result.failures.length > 0
          ? `Failed: ${result.failures.map(f => f.name).join(', ')}`
          : 'Nix did not produce this package (see the build log above).'
      continue
    }
    result.closureSize = result.outPaths.reduce((sum, p) => sum + (infos.get(p)?.closureSize ?? 0), 0)
    result.status = 'built'
    for (const outPath of result.outPaths) {
      const elf = await checkElfMachines(outPath, system)
      result.elf = mergeElf(result.elf, elf)
    }
    if (result.elf && result.elf.wrongMachine.length > 0) {
      const found = [...new Set(result.elf.wrongMachine.map(f => machineName(f.machine)))].join(', ')
      const examples = result.elf.wrongMachine
        .slice(0, 3)
        .map(f => f.path)
        .join(', ')
      result.status = 'failed'
      result.error =
        `The ${system} output holds ${result.elf.wrongMachine.length} ELF file(s) built for ${found}, not for ${system} (e.g. ${examples}). ` +
        'Likely cause: a prebuilt binary fetched for the wrong platform (a per-arch download or precompiled NIF pinned to one arch), ' +
        "or a build that used the build platform's compiler where the host platform's was needed (check `buildPackages` vs `pkgs`)."
    }
  }
}

/** Failed derivations of a closure, or twins of them (another system's FOD with the same output). */
export function failuresIn(closure: Set<string>, derivations: Map<string, Derivation>, log: BuildLog): FailedDerivation[] {
  const closureOutputs = new Set([...closure].flatMap(d => outputPathsOf(d, derivations)))
  return [...log.failedDrvs]
    .filter(d => closure.has(d) || outputPathsOf(d, derivations).some(p => closureOutputs.has(p)))
    .map(drvPath => ({
      drvPath,
      name: derivations.get(drvPath)?.name ?? drvPath,
      message: log.errors.find(e => e.text.split('\n')[0].includes(drvPath))?.text,
      tail: log.builds.get(drvPath)?.tail ?? []
    }))
}

/** Where a built system's package was built: the machine Nix named in its build activity. */
export function settleWhere(result: SystemBuildResult, machine: string | undefined): void {
  if (result.status !== 'built' || result.alreadyValid) return
  // No machine: this Nix built it itself (for a remote plan too, when it could and had a free slot).
  result.builtOn = machine !== undefined && machine !== '' ? machineHost(machine) : 'local'
}

/** A failed system whose failing builds ran on a builder that no longer answers: say so. */
export async function explainRemoteFailures(
  remote: RemoteBuilders,
  results: SystemBuildResult[],
  log: BuildLog,
  nix: NixRunner,
  signal?: AbortSignal
): Promise<void> {
  const verdicts = new Map<string, Promise<string | undefined>>()
  for (const result of results.filter(r => r.status === 'failed')) {
    for (const failure of result.failures) {
      const machine = log.builds.get(failure.drvPath)?.machine
      if (machine === undefined) continue
      if (!verdicts.has(machine)) verdicts.set(machine, lostBuilder(remote, machine, nix, signal))
      const lost = await verdicts.get(machine)
      if (lost !== undefined) {
        result.error = `${lost} Failed there: ${result.failures.map(f => f.name).join(', ')}.`
        break
      }
    }
  }
}

function mergeElf(a: SystemBuildResult['elf'], b: NonNullable<SystemBuildResult['elf']>): NonNullable<SystemBuildResult['elf']> {
  if (!a) return b
  return {
    checkedFiles: a.checkedFiles + b.checkedFiles,
    elfFiles: a.elfFiles + b.elfFiles,
    wrongMachine: [...a.wrongMachine, ...b.wrongMachine],
    truncated: a.truncated || b.truncated
  }
}
