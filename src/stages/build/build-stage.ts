// The build stage: every requested system's package, native fixed-output derivations first, then
// one `nix build --keep-going` per system (build-calls.ts), then proof of what was built.
import type { NixLine } from '../../nix/runner.js'
import { Derivation, PathInfo, closureOf, isFixedOutput, pathInfo, showDerivationClosure } from '../../nix/store.js'
import type { HostFacts } from '../../setup/host.js'
import { SystemPlan, planSystems } from '../../setup/platforms.js'
import type { RemoteBuildersRequest } from '../../setup/remote-builders.js'
import { PhaseTimer, describeTiming } from '../../report/timing.js'
import type { StageEnv } from '../stage.js'
import { BuildLog } from './build-log.js'
import { describeBuildCalls, planBuildCalls, runBuildCalls } from './build-calls.js'
import { fixedOutputInfos, indexSystemsByDrv, nativeFodsSharedWithEmulated, outputPathsOf, prefixLine } from './build-graph.js'
import { reportBuild } from './build-report.js'
import { setUpBuild } from './build-setup.js'
import { BuildTarget, SelectedTargets, closuresBySystem, evaluateTargets, settleAttributes } from './attributes.js'
import { packageAttrPath } from './evaluate.js'
import { realise } from './realise.js'
import type { OutputsSelection } from './select.js'
import { explainRemoteFailures, failuresIn, settleResults, settleWhere } from './settle.js'
import type { BuildSetUp, BuildStageResult, OutputsSummary, SystemBuildResult } from './types.js'

export interface BuildStageOptions extends StageEnv {
  flake: string
  package: string
  systems: string[]
  /** Host facts for emulation set-up (detected when not given; tests inject them). */
  hostFacts?: HostFacts
  /** Sees every line of the build's Nix output (the hash stage's mismatch parser). */
  observe?: (line: NixLine) => void
  /** The set-up of an earlier build of this run, to reuse instead of doing it again. */
  setUp?: BuildSetUp
  /** What to build of each system (select.ts); the single `package` when not given. */
  outputs?: OutputsSelection
  /** Attributes another stage builds (the VM test's check): never built here. */
  exclude?: { attrPath: string; reason: string }[]
  /** Remote builders to check and send foreign systems to (the `builders` inputs). */
  remote?: RemoteBuildersRequest
}

/** The stage: the build, then its report (log groups, annotations, job summary, outputs). */
export async function runBuildStage(options: BuildStageOptions): Promise<BuildStageResult> {
  const result = await buildSystems(options)
  await reportBuild(result, options.reporter)
  for (const line of describeTiming(result.phases)) options.reporter.debug(`build stage ${line}`)
  return result
}

/** What one build works on, once evaluated: the targets, their derivation graph, their FODs. */
interface BuildWork {
  outputs: OutputsSelection
  /** The systems to build, and where. */
  plans: SystemPlan[]
  selected: SelectedTargets
  /** One target per system for the single package; one per selected attribute otherwise. */
  evaluated: BuildTarget[]
  derivations: Map<string, Derivation>
  closures: Map<string, Set<string>>
  fodDrvs: string[]
  /** Before the build: the FODs' and the targets' outputs in the store (one query for both). */
  validBefore: Map<string, PathInfo>
  /** FODs the emulated or remote systems share with a native one, not yet in the store. */
  nativeFodsFirst: string[]
}

/** The build itself, without the report: fix-hashes' verify rounds build this way too. */
export async function buildSystems(options: BuildStageOptions): Promise<BuildStageResult> {
  const started = Date.now()
  const timer = new PhaseTimer()
  const setUp = await timer.time('set-up', () => setUpBuild(options))
  const plans = planSystems(options.systems, setUp.config.system, setUp.remote?.offered)
  const results = initialResults(plans, setUp, options.package)
  const buildable = plans.filter(p => p.mode !== 'impossible' && results.get(p.system)?.error === undefined)
  const work = await evaluateWork(options, setUp, buildable, results, timer)
  const systemsOfDrv = indexSystemsByDrv(work.closures)
  // Everything the build log shows is Nix's or a builder's text: printed, never read as commands.
  const log = new BuildLog((text, drvPath) => options.reporter.untrusted(prefixLine(text, drvPath, systemsOfDrv, work.derivations)))
  const { cancelled, mainStart, realised } = await realiseWork(work, log, options, setUp, timer)
  const proof = await timer.time('proof', () => prove(work, results, log, { options, setUp, mainStart, cancelled, realised }))
  const systems = plans.map(p => results.get(p.system) as SystemBuildResult)
  const isValidIn = (infos: Map<string, { valid: boolean }>) => (d: string) =>
    outputPathsOf(d, work.derivations).every(p => infos.get(p)?.valid === true)
  const ok = !cancelled && systems.every(s => s.status === 'built') && (proof.outputs?.unplaced.length ?? 0) === 0
  return {
    ok,
    failures: ok ? [] : [buildFailure(systems, cancelled, proof.outputs)],
    hostSystem: setUp.config.system,
    nixVersion: setUp.nixVersion,
    systems,
    cancelled,
    nativeFodsFirst: work.nativeFodsFirst,
    builtDerivations: [...log.builds.keys()],
    fixedOutputs: fixedOutputInfos(work.fodDrvs, work.derivations, work.closures, isValidIn(work.validBefore), isValidIn(proof.infos)),
    nix: setUp.nix,
    nixErrors: log.errors.map(e => e.text),
    ...(proof.outputs ? { outputs: proof.outputs } : {}),
    durationMs: Date.now() - started,
    phases: timer.phases,
    setUp
  }
}

/** Each planned system's result before the build: an error already for those that cannot build. */
function initialResults(plans: SystemPlan[], setUp: BuildSetUp, pkg: string): Map<string, SystemBuildResult> {
  const results = new Map<string, SystemBuildResult>()
  for (const plan of plans) {
    const error =
      plan.mode === 'impossible'
        ? plan.reason
        : plan.mode === 'emulated'
          ? (setUp.remoteErrors?.[plan.system] ?? (setUp.emulationError || undefined))
          : undefined
    results.set(plan.system, {
      system: plan.system,
      mode: plan.mode,
      status: 'not-built',
      attrPath: packageAttrPath(plan.system, pkg),
      outPaths: [],
      failures: [],
      ...(error !== undefined ? { error } : {})
    })
  }
  return results
}

/** Evaluation, the derivation graph, and which fixed outputs are in the store already. */
async function evaluateWork(
  options: BuildStageOptions,
  setUp: BuildSetUp,
  buildable: SystemPlan[],
  results: Map<string, SystemBuildResult>,
  timer: PhaseTimer
): Promise<BuildWork> {
  const { nix } = setUp
  const outputs = options.outputs ?? { kind: 'package' }
  const systems = buildable.map(p => p.system)
  const selected: SelectedTargets = systems.length
    ? await timer.time('evaluation', () =>
        evaluateTargets({
          nix,
          flake: options.flake,
          systems,
          pkg: options.package,
          outputs,
          exclude: options.exclude,
          cwd: options.cwd,
          signal: options.signal
        })
      )
    : { targets: [] }
  const evaluated = selected.targets
  const derivations = await timer.time('derivation graph', () =>
    showDerivationClosure(
      nix,
      evaluated.map(e => e.drvPath)
    )
  )
  const closures = closuresBySystem(evaluated, derivations)
  for (const e of outputs.kind === 'package' ? evaluated : []) {
    const result = results.get(e.system) as SystemBuildResult
    result.drvPath = e.drvPath
    result.outPaths = outputPathsOf(e.drvPath, derivations)
  }
  const fodDrvs = [...derivations.values()].filter(isFixedOutput).map(d => d.drvPath)
  const paths = [...new Set([...fodDrvs, ...evaluated.map(e => e.drvPath)].flatMap(d => outputPathsOf(d, derivations)))]
  const validBefore = await timer.time('outputs in the store', () => pathInfo(nix, paths))
  const valid = (d: string) => outputPathsOf(d, derivations).every(p => validBefore.get(p)?.valid === true)
  const nativeFodsFirst = nativeFodsSharedWithEmulated(buildable, closures, derivations).filter(d => !valid(d))
  return { outputs, plans: buildable, selected, evaluated, derivations, closures, fodDrvs, validBefore, nativeFodsFirst }
}

/** Native FODs first, then the targets (build-calls.ts); a target whose FOD failed is left out. */
async function realiseWork(
  work: BuildWork,
  log: BuildLog,
  options: BuildStageOptions,
  setUp: BuildSetUp,
  timer: PhaseTimer
): Promise<{ cancelled: boolean; mainStart: number; realised: boolean }> {
  const { reporter } = options
  const mainStart = Date.now()
  // A warm run (a cache restore, a rerun): every target is in the store, so there is nothing for
  // `nix build` to do, and its call (an evaluation of its own) is left out.
  const allValid =
    work.evaluated.length > 0 &&
    work.evaluated.every(e => outputPathsOf(e.drvPath, work.derivations).every(p => work.validBefore.get(p)?.valid === true))
  if (allValid && work.nativeFodsFirst.length === 0) {
    reporter.info(`Every ${work.outputs.kind === 'package' ? 'system' : 'attribute'}'s outputs are in the store already: nothing to build`)
    return { cancelled: false, mainStart, realised: false }
  }
  const realiseWith = {
    nix: setUp.nix,
    nixVersion: setUp.nixVersion,
    log,
    cwd: options.cwd,
    signal: options.signal,
    observe: options.observe
  }
  let cancelled = false
  if (work.nativeFodsFirst.length > 0) {
    await timer.time('fixed-output derivations, natively', () =>
      reporter.group(`Fixed-output derivations, built natively first (${work.nativeFodsFirst.length})`, async () => {
        cancelled ||= (await realise({ ...realiseWith, drvPaths: work.nativeFodsFirst })).cancelled
      })
    )
  }
  // A FOD that failed natively fails the same way for every system that needs its output:
  // building those systems again would only repeat the failure (and the download).
  const outputsOf = (d: string) => outputPathsOf(d, work.derivations)
  const failedFirst = new Set(work.nativeFodsFirst.filter(d => log.failedDrvs.has(d)).flatMap(outputsOf))
  const toBuild = work.evaluated.filter(
    e => ![...closureOf(e.drvPath, work.derivations)].some(d => outputsOf(d).some(p => failedFirst.has(p)))
  )
  for (const e of work.evaluated.filter(e => !toBuild.includes(e))) {
    reporter.info(
      `${work.outputs.kind === 'package' ? e.system : e.attrPath}: not built again, it needs a fixed-output derivation that already failed above`
    )
  }
  const buildStart = Date.now()
  if (!cancelled && toBuild.length > 0) {
    const calls = planBuildCalls(toBuild, system => work.plans.find(p => p.system === system)?.mode)
    await timer.time('build', () =>
      reporter.group(`Build ${describeTargets(toBuild, work.outputs)} (${describeBuildCalls(calls)})`, async () => {
        const build = (targets: BuildTarget[]) => realise({ ...realiseWith, drvPaths: targets.map(e => e.drvPath) })
        cancelled ||= (await runBuildCalls(calls, build, reporter)).cancelled
      })
    )
  }
  return { cancelled, mainStart: buildStart, realised: true }
}

/** One store query for both the targets' outputs and the FODs' outputs; each result settled from it. */
async function prove(
  work: BuildWork,
  results: Map<string, SystemBuildResult>,
  log: BuildLog,
  run: { options: BuildStageOptions; setUp: BuildSetUp; mainStart: number; cancelled: boolean; realised: boolean }
): Promise<{ infos: Map<string, PathInfo>; outputs?: OutputsSummary }> {
  const { derivations, evaluated, selected } = work
  const paths = [...evaluated.map(e => e.drvPath), ...work.fodDrvs].flatMap(d => outputPathsOf(d, derivations))
  // Nothing was built: the store is as the query before the build found it.
  const infos = run.realised ? await pathInfo(run.setUp.nix, paths) : work.validBefore
  if (selected.evaluation === undefined) {
    await settleResults(infos, evaluated, results, derivations, work.closures, log, run.mainStart, run.cancelled)
    for (const e of evaluated) settleWhere(results.get(e.system) as SystemBuildResult, log.builds.get(e.drvPath)?.machine)
    if (run.setUp.remote) await explainRemoteFailures(run.setUp.remote, [...results.values()], log, run.setUp.nix, run.options.signal)
    return { infos }
  }
  const unplaced = settleAttributes({
    infos,
    evaluation: selected.evaluation,
    results,
    derivations,
    log,
    mainStart: run.mainStart,
    cancelled: run.cancelled,
    failuresIn
  })
  const selection = work.outputs.kind === 'list' ? work.outputs.patterns.join(' ') : 'all'
  return { infos, outputs: { selection, skipped: selected.evaluation.skipped, unplaced, evalCalls: selected.evaluation.evalCalls } }
}

function buildFailure(systems: SystemBuildResult[], cancelled: boolean, outputs: OutputsSummary | undefined): string {
  const failed = systems.filter(s => s.status !== 'built').map(s => `${s.system} (${s.status})`)
  if (cancelled) return `Build cancelled; unfinished: ${failed.join(', ')}`
  if (failed.length === 0 && outputs) return `Build failed: ${outputs.unplaced.length} attribute(s) could not be evaluated to a system`
  return `Build failed for ${failed.join(', ')}`
}

function describeTargets(targets: { system: string }[], outputs: OutputsSelection): string {
  const systems = [...new Set(targets.map(t => t.system))]
  return outputs.kind === 'package' ? systems.join(', ') : `${targets.length} attribute(s) of ${systems.join(', ')}`
}
