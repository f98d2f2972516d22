// The build stage for more than one attribute per system (`outputs: all` or a list): what to
// evaluate, and each attribute's result read back from the store after the build.
// The single-package default goes through evaluate.ts as before, so its results keep their shape.
import { machineHost } from '../../nix/machines.js'
import { closureOf } from '../../nix/store.js'
import type { Derivation, PathInfo } from '../../nix/store.js'
import type { NixRunner } from '../../nix/runner.js'
import type { BuildLog } from './build-log.js'
import { evaluatePackages } from './evaluate.js'
import { OutputsEvaluation, evaluateOutputs } from './evaluate-outputs.js'
import { OutputsSelection, resolveSelection } from './select.js'
import type { AttributeBuildResult, FailedDerivation, SystemBuildResult } from './types.js'

/** One derivation to build: a system's package, or one selected attribute. */
export interface BuildTarget {
  system: string
  attrPath: string
  drvPath: string
}

export interface SelectedTargets {
  targets: BuildTarget[]
  /** Set when the selection is not the single package. */
  evaluation?: OutputsEvaluation
}

export interface SelectOptions {
  nix: NixRunner
  flake: string
  systems: string[]
  pkg: string
  outputs: OutputsSelection
  /** Attributes another stage builds (the VM test's check). */
  exclude?: { attrPath: string; reason: string }[]
  cwd?: string
  signal?: AbortSignal
}

export async function evaluateTargets(options: SelectOptions): Promise<SelectedTargets> {
  if (options.outputs.kind === 'package')
    return { targets: await evaluatePackages(options.nix, options.flake, options.systems, options.pkg, options.cwd) }
  const evaluation = await evaluateOutputs({
    nix: options.nix,
    flake: options.flake,
    selection: resolveSelection(options.outputs, options.systems, options.pkg),
    systems: options.systems,
    exclude: options.exclude,
    cwd: options.cwd,
    signal: options.signal
  })
  return { targets: evaluation.attributes, evaluation }
}

/** Each system's closure: the union of its targets' closures. */
export function closuresBySystem(targets: BuildTarget[], derivations: Map<string, Derivation>): Map<string, Set<string>> {
  const closures = new Map<string, Set<string>>()
  for (const t of targets) {
    const closure = closures.get(t.system) ?? new Set<string>()
    for (const d of closureOf(t.drvPath, derivations)) closure.add(d)
    closures.set(t.system, closure)
  }
  return closures
}

export interface SettleAttributesInput {
  infos: Map<string, PathInfo>
  evaluation: OutputsEvaluation
  results: Map<string, SystemBuildResult>
  derivations: Map<string, Derivation>
  log: BuildLog
  mainStart: number
  cancelled: boolean
  /** The build stage's reading of which failed derivations belong to a closure. */
  failuresIn: (closure: Set<string>, derivations: Map<string, Derivation>, log: BuildLog) => FailedDerivation[]
}

/**
 * Each attribute's result from the store (valid outputs = built), and each system's from its
 * attributes: a system is built when every attribute selected for it is. Failures come first.
 */
export function settleAttributes(input: SettleAttributesInput): AttributeBuildResult[] {
  const { evaluation, results } = input
  const unplaced: AttributeBuildResult[] = []
  const bySystem = new Map<string, AttributeBuildResult[]>()
  const add = (system: string | undefined, attribute: AttributeBuildResult): void => {
    if (system === undefined || !results.has(system)) unplaced.push(attribute)
    else bySystem.set(system, [...(bySystem.get(system) ?? []), attribute])
  }
  for (const p of evaluation.problems) {
    add(p.system, {
      attrPath: p.attrPath,
      kind: p.kind,
      status: 'eval-failed',
      outPaths: [],
      failures: [],
      error: p.error,
      ...(p.evaluation ? { evaluation: p.evaluation } : {})
    })
  }
  for (const a of evaluation.attributes) add(a.system, settleAttribute(a, input))
  for (const [system, attributes] of bySystem) settleSystem(results.get(system) as SystemBuildResult, attributes, input)
  // A system with nothing selected (e.g. `outputs: checks.*.*` and no check for it) has nothing to fail.
  for (const result of results.values()) {
    if (result.attributes === undefined && result.status === 'not-built' && result.error === undefined) {
      result.attributes = []
      result.status = 'built'
      result.alreadyValid = true
    }
  }
  return sortFailuresFirst(unplaced)
}

/** One attribute's result from the store: valid outputs = built. */
function settleAttribute(a: OutputsEvaluation['attributes'][number], input: SettleAttributesInput): AttributeBuildResult {
  const { infos, derivations, log } = input
  const outPaths = Object.values(derivations.get(a.drvPath)?.outputs ?? {}).map(o => o.path)
  const closure = closureOf(a.drvPath, derivations)
  const valid = outPaths.length > 0 && outPaths.every(p => infos.get(p)?.valid === true)
  const top = log.builds.get(a.drvPath)
  const alreadyValid = valid && top === undefined && ![...closure].some(d => log.builds.has(d))
  const failures = valid ? [] : input.failuresIn(closure, derivations, log)
  const attribute: AttributeBuildResult = {
    attrPath: a.attrPath,
    kind: a.kind,
    status: valid ? 'built' : input.cancelled ? 'cancelled' : 'failed',
    drvPath: a.drvPath,
    outPaths,
    alreadyValid,
    failures
  }
  const durationMs = top?.stoppedAt !== undefined ? top.stoppedAt - input.mainStart : alreadyValid ? 0 : undefined
  if (durationMs !== undefined) attribute.durationMs = durationMs
  if (valid) attribute.closureSize = outPaths.reduce((sum, p) => sum + (infos.get(p)?.closureSize ?? 0), 0)
  else {
    attribute.error = input.cancelled
      ? 'The build was cancelled before it finished.'
      : failures.length > 0
        ? `Failed: ${failures.map(f => f.name).join(', ')}`
        : 'Nix did not produce it (see the build log above).'
  }
  return attribute
}

/** A system's result from its attributes: built when every attribute selected for it is. Failures first. */
function settleSystem(result: SystemBuildResult, attributes: AttributeBuildResult[], { log, cancelled }: SettleAttributesInput): void {
  result.attributes = sortFailuresFirst(attributes)
  result.outPaths = attributes.filter(a => a.status === 'built').flatMap(a => a.outPaths)
  result.failures = dedupe(attributes.flatMap(a => a.failures))
  const built = attributes.filter(a => a.status === 'built')
  result.alreadyValid = built.length === attributes.length && attributes.every(a => a.alreadyValid)
  const times = attributes.map(a => a.durationMs).filter((t): t is number => t !== undefined)
  if (times.length > 0) result.durationMs = Math.max(...times)
  result.closureSize = built.reduce((sum, a) => sum + (a.closureSize ?? 0), 0)
  const bad = attributes.filter(a => a.status !== 'built')
  if (bad.length === 0) {
    result.status = 'built'
    delete result.error
    // Where: the machines Nix named for the attributes it built (settleWhere's rule, per attribute).
    if (!result.alreadyValid) {
      const remote = new Set(
        built
          .flatMap(a => (a.drvPath === undefined ? [] : [log.builds.get(a.drvPath)?.machine ?? '']))
          .filter(m => m !== '')
          .map(machineHost)
      )
      result.builtOn = remote.size > 0 ? [...remote].join(', ') : 'local'
    }
  } else {
    result.status = cancelled ? 'cancelled' : 'failed'
    result.error = `${bad.length} of ${attributes.length} attribute(s) not built: ${bad
      .slice(0, 5)
      .map(a => a.attrPath)
      .join(', ')}${bad.length > 5 ? ', …' : ''}`
  }
}

const ORDER: Record<AttributeBuildResult['status'], number> = { 'eval-failed': 0, failed: 0, cancelled: 1, 'not-built': 2, built: 3 }

export function sortFailuresFirst(attributes: AttributeBuildResult[]): AttributeBuildResult[] {
  return attributes
    .map((a, i) => ({ a, i }))
    .sort((x, y) => ORDER[x.a.status] - ORDER[y.a.status] || x.i - y.i)
    .map(x => x.a)
}

function dedupe(failures: FailedDerivation[]): FailedDerivation[] {
  const seen = new Set<string>()
  return failures.filter(f => !seen.has(f.drvPath) && (seen.add(f.drvPath), true))
}
