// The build stage: every requested system's package in one `nix build --keep-going`, native
// fixed-output derivations first, then proof of what was built.
import { readNixConfig } from '../../nix/config.js'
import { checkElfMachines, machineName } from '../../nix/elf.js'
import { NixLine, NixRunner } from '../../nix/runner.js'
import { Derivation, PathInfo, closureOf, isFixedOutput, pathInfo, showDerivationClosure } from '../../nix/store.js'
import type { Reporter } from '../../report/reporter.js'
import { EmulationError, setUpEmulation } from '../../setup/emulation.js'
import { HostFacts, detectHostFacts } from '../../setup/host.js'
import { SystemPlan, planSystems } from '../../setup/platforms.js'
import { CheckedBuilder, RemoteBuilders, RemoteBuildersRequest, checkRemoteBuilders, lostBuilder } from '../../setup/remote-builders.js'
import { machineHost } from '../../nix/machines.js'
import { applyNixSettings } from '../../setup/nix-settings.js'
import { PhaseTimer } from '../../report/timing.js'
import { BuildLog } from './build-log.js'
import { closuresBySystem, evaluateTargets, settleAttributes } from './attributes.js'
import { packageAttrPath } from './evaluate.js'
import { realise } from './realise.js'
import type { OutputsSelection } from './select.js'
import type { BuildSetUp, BuildStageResult, FailedDerivation, OutputsSummary, SystemBuildResult } from './types.js'

export interface BuildStageOptions {
  flake: string
  package: string
  systems: string[]
  nix: NixRunner
  reporter: Reporter
  cwd?: string
  signal?: AbortSignal
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

export async function runBuildStage(options: BuildStageOptions): Promise<BuildStageResult> {
  const { reporter, flake, package: pkg } = options
  const started = Date.now()
  const timer = new PhaseTimer()
  const setUp = await timer.time('set-up', () => setUpBuild(options))
  const { nixVersion, config, nix } = setUp
  const host = config.system
  const plans = planSystems(options.systems, host, setUp.remote?.offered)
  const results = new Map<string, SystemBuildResult>()
  for (const plan of plans) {
    results.set(plan.system, {
      system: plan.system,
      mode: plan.mode,
      status: 'not-built',
      attrPath: packageAttrPath(plan.system, pkg),
      outPaths: [],
      failures: [],
      ...(plan.mode === 'impossible'
        ? { error: plan.reason }
        : plan.mode === 'emulated' && setUp.remoteErrors?.[plan.system] !== undefined
          ? { error: setUp.remoteErrors[plan.system] }
          : plan.mode === 'emulated' && setUp.emulationError
            ? { error: setUp.emulationError }
            : {})
    })
  }

  const buildable = plans.filter(p => p.mode !== 'impossible' && results.get(p.system)?.error === undefined)
  const outputs = options.outputs ?? { kind: 'package' }
  const selected = buildable.length
    ? await timer.time('evaluation', () =>
        evaluateTargets({ nix, flake, systems: buildable.map(p => p.system), pkg, outputs, exclude: options.exclude, cwd: options.cwd, signal: options.signal })
      )
    : { targets: [] }
  // One entry per system for the single package; one per selected attribute otherwise.
  const evaluated = selected.targets
  const derivations = await timer.time('derivation graph', () => showDerivationClosure(nix, evaluated.map(e => e.drvPath)))
  const closures = closuresBySystem(evaluated, derivations)
  for (const e of outputs.kind === 'package' ? evaluated : []) {
    const result = results.get(e.system) as SystemBuildResult
    result.drvPath = e.drvPath
    result.outPaths = outputPathsOf(e.drvPath, derivations)
  }

  const systemsOfDrv = indexSystemsByDrv(closures)
  // Everything the build log shows is Nix's or a builder's text: printed, never read as commands.
  const log = new BuildLog((text, drvPath) => reporter.untrusted(prefixLine(text, drvPath, systemsOfDrv, derivations)))
  const fodDrvs = [...derivations.values()].filter(isFixedOutput).map(d => d.drvPath)
  const fodValidBefore = await timer.time('fixed outputs in the store', () => pathInfo(nix, fodDrvs.flatMap(d => outputPathsOf(d, derivations))))
  const isValidIn = (infos: Map<string, { valid: boolean }>, d: string) => outputPathsOf(d, derivations).every(p => infos.get(p)?.valid === true)
  const nativeFodsFirst = nativeFodsSharedWithEmulated(buildable, closures, derivations).filter(d => !isValidIn(fodValidBefore, d))
  const realiseWith = { nix, nixVersion, log, cwd: options.cwd, signal: options.signal, observe: options.observe }
  let cancelled = false

  if (nativeFodsFirst.length > 0) {
    await timer.time('fixed-output derivations, natively', () =>
      reporter.group(`Fixed-output derivations, built natively first (${nativeFodsFirst.length})`, async () => {
        const run = await realise({ ...realiseWith, drvPaths: nativeFodsFirst })
        cancelled ||= run.cancelled
      })
    )
  }

  // A FOD that failed natively fails the same way for every system that needs its output:
  // building those systems again would only repeat the failure (and the download).
  const failedFirst = new Set(nativeFodsFirst.filter(d => log.failedDrvs.has(d)).flatMap(d => outputPathsOf(d, derivations)))
  const toBuild = evaluated.filter(e => ![...closureOf(e.drvPath, derivations)].some(d => outputPathsOf(d, derivations).some(p => failedFirst.has(p))))
  for (const e of evaluated.filter(e => !toBuild.includes(e))) {
    reporter.info(`${outputs.kind === 'package' ? e.system : e.attrPath}: not built again, it needs a fixed-output derivation that already failed above`)
  }

  const mainStart = Date.now()
  if (!cancelled && toBuild.length > 0) {
    await timer.time('build', () =>
      reporter.group(`Build ${describeTargets(toBuild, outputs)} (one nix invocation)`, async () => {
        const run = await realise({ ...realiseWith, drvPaths: toBuild.map(e => e.drvPath) })
        cancelled ||= run.cancelled
        reporter.info(`nix build exited with ${run.exitCode ?? run.signal} after ${(run.durationMs / 1000).toFixed(1)} s`)
      })
    )
  }

  // One store query for both: the packages' outputs and the FODs' outputs.
  let outputsSummary: OutputsSummary | undefined
  const validAfter = await timer.time('proof', async () => {
    const infos = await pathInfo(nix, [...evaluated.flatMap(e => outputPathsOf(e.drvPath, derivations)), ...fodDrvs.flatMap(d => outputPathsOf(d, derivations))])
    if (selected.evaluation === undefined) {
      await settleResults(infos, evaluated, results, derivations, closures, log, mainStart, cancelled)
      for (const e of evaluated) settleWhere(results.get(e.system) as SystemBuildResult, log.builds.get(e.drvPath)?.machine)
      if (setUp.remote) await explainRemoteFailures(setUp.remote, [...results.values()], log, nix, options.signal)
    }
    else {
      const unplaced = settleAttributes({ infos, evaluation: selected.evaluation, results, derivations, log, mainStart, cancelled, failuresIn })
      outputsSummary = { selection: outputs.kind === 'list' ? outputs.patterns.join(' ') : 'all', skipped: selected.evaluation.skipped, unplaced, evalCalls: selected.evaluation.evalCalls }
    }
    return infos
  })
  const systems = plans.map(p => results.get(p.system) as SystemBuildResult)
  const fodValidAfter = validAfter
  const fixedOutputs = fodDrvs.map(drvPath => {
    const drv = derivations.get(drvPath) as Derivation
    const output = Object.values(drv.outputs)[0]
    return {
      drvPath,
      name: drv.name,
      system: drv.system,
      outputPaths: outputPathsOf(drvPath, derivations),
      hash: output?.fixed?.sri ?? '',
      hashAlgo: output?.fixed?.algo ?? '',
      validBefore: isValidIn(fodValidBefore, drvPath),
      validAfter: isValidIn(fodValidAfter, drvPath),
      neededBy: [...closures].filter(([, closure]) => closure.has(drvPath)).map(([system]) => system)
    }
  })
  return {
    ok: !cancelled && systems.every(s => s.status === 'built') && (outputsSummary?.unplaced.length ?? 0) === 0,
    hostSystem: host,
    nixVersion,
    systems,
    cancelled,
    nativeFodsFirst,
    builtDerivations: [...log.builds.keys()],
    fixedOutputs,
    nix,
    nixErrors: log.errors.map(e => e.text),
    ...(outputsSummary ? { outputs: outputsSummary } : {}),
    durationMs: Date.now() - started,
    phases: timer.phases,
    setUp
  }
}

/**
 * Nix's version and config, and QEMU emulation for the emulated systems: once per run. Later
 * builds of the same run (fix-hashes rounds) pass the first one's set-up back in.
 */
async function setUpBuild(options: BuildStageOptions): Promise<BuildSetUp> {
  const { reporter } = options
  if (options.setUp) {
    reporter.info(`Set up as for the first build of this run (Nix ${options.setUp.nixVersion} on ${options.setUp.config.system})`)
    return options.setUp
  }
  const nixVersion = await options.nix.version()
  const config = await readNixConfig(options.nix)
  return reporter.group('Set up: host, remote builders, QEMU emulation, Nix platforms', async () => {
    const foreign = planSystems(options.systems, config.system).filter(p => p.mode !== 'native').map(p => p.system)
    const remote = options.remote && foreign.length > 0 ? await checkRemoteBuilders(options.remote, { nix: options.nix, config, reporter, wanted: foreign, signal: options.signal }) : undefined
    const plans = planSystems(options.systems, config.system, remote?.offered)
    reporter.info(`Nix ${nixVersion} on ${config.system}; building ${plans.map(describePlan).join(', ')}`)
    let base = options.nix
    if (remote && remote.source === 'input' && remote.setting !== '') {
      const facts = options.hostFacts ?? (await detectHostFacts())
      base = (await applyNixSettings(options.nix, facts, reporter, {
        settings: `builders = ${remote.setting}`,
        purpose: 'remote builders',
        withoutThem: 'the remote systems would not be built there',
        error: message => new Error(message),
        config
      })).nix
    }
    // With builders configured and remote-fallback: fail, a system none of them builds is an error, not QEMU.
    const remoteErrors: Record<string, string> = {}
    if (remote && remote.fallback === 'fail') {
      for (const plan of plans.filter(p => p.mode === 'emulated')) remoteErrors[plan.system] = noBuilderFor(plan.system, remote.builders)
    }
    const withRemote = { nixVersion, config, nix: base, ...(remote ? { remote, remoteErrors } : {}) }
    const emulated = plans.filter(p => p.mode !== 'emulated' || remoteErrors[p.system] === undefined)
    if (!emulated.some(p => p.mode === 'emulated')) return withRemote
    try {
      const facts = options.hostFacts ?? (await detectHostFacts())
      const setup = await setUpEmulation(emulated, base, facts, reporter, config)
      for (const [system, handler] of Object.entries(setup.handlers)) {
        reporter.info(`${system}: QEMU handler ${handler.name} (${handler.interpreter}, flags ${handler.flags || 'none'})`)
      }
      reporter.info(
        setup.how === 'already-configured'
          ? "Nix accepts the emulated systems (its own config lists them, and this client's settings are the ones its builds get)"
          : `Nix accepts the emulated systems (settings applied via ${setup.how}; confirmed by a probe build)`
      )
      return { ...withRemote, nix: setup.nix }
    } catch (error) {
      if (!(error instanceof EmulationError)) throw error
      reporter.error(error.message, { title: 'QEMU emulation unavailable' })
      return { ...withRemote, emulationError: error.message }
    }
  })
}

/** Decides each system's status from the store itself, then checks what was built. */
async function settleResults(
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
      const examples = result.elf.wrongMachine.slice(0, 3).map(f => f.path).join(', ')
      result.status = 'failed'
      result.error =
        `The ${system} output holds ${result.elf.wrongMachine.length} ELF file(s) built for ${found}, not for ${system} (e.g. ${examples}). ` +
        'Likely cause: a prebuilt binary fetched for the wrong platform (a per-arch download or precompiled NIF pinned to one arch), ' +
        'or a build that used the build platform\'s compiler where the host platform\'s was needed (check `buildPackages` vs `pkgs`).'
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

/**
 * FODs of native systems whose outputs the emulated systems also need: a FOD's output path does
 * not depend on its system, so realising these natively spares fetching them again under QEMU.
 */
export function nativeFodsSharedWithEmulated(plans: SystemPlan[], closures: Map<string, Set<string>>, derivations: Map<string, Derivation>): string[] {
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
  for (const plan of plans.filter(p => p.mode === 'emulated' || p.mode === 'remote')) for (const path of fodOutputs(plan.system).keys()) emulatedNeeds.add(path)
  const first = new Set<string>()
  for (const plan of plans.filter(p => p.mode === 'native')) {
    for (const [path, drvPath] of fodOutputs(plan.system)) if (emulatedNeeds.has(path)) first.add(drvPath)
  }
  return [...first].sort()
}

function outputPathsOf(drvPath: string, derivations: Map<string, Derivation>): string[] {
  return Object.values(derivations.get(drvPath)?.outputs ?? {}).map(o => o.path)
}

function indexSystemsByDrv(closures: Map<string, Set<string>>): Map<string, string[]> {
  const index = new Map<string, string[]>()
  for (const [system, closure] of closures) for (const drv of closure) index.set(drv, [...(index.get(drv) ?? []), system])
  return index
}

function prefixLine(text: string, drvPath: string | undefined, systemsOfDrv: Map<string, string[]>, derivations: Map<string, Derivation>): string {
  if (drvPath === undefined) return text
  const drv = derivations.get(drvPath)
  const system = drv?.system ?? systemsOfDrv.get(drvPath)?.join(',') ?? '?'
  const name = drv?.name ?? drvPath.replace(/^\/nix\/store\/[a-z0-9]{32}-/, '')
  return `[${system}] ${name}> ${text}`
}

function describeTargets(targets: { system: string }[], outputs: OutputsSelection): string {
  const systems = [...new Set(targets.map(t => t.system))]
  return outputs.kind === 'package' ? systems.join(', ') : `${targets.length} attribute(s) of ${systems.join(', ')}`
}

function describePlan(plan: SystemPlan): string {
  return plan.mode === 'impossible' ? `${plan.system} (impossible here)` : plan.mode === 'remote' ? `${plan.system} (remote: ${plan.host})` : `${plan.system} (${plan.mode})`
}

/** Where a built system's package was built: the machine Nix named in its build activity. */
function settleWhere(result: SystemBuildResult, machine: string | undefined): void {
  if (result.status !== 'built' || result.alreadyValid) return
  // No machine: this Nix built it itself (for a remote plan too, when it could and had a free slot).
  result.builtOn = machine !== undefined && machine !== '' ? machineHost(machine) : 'local'
}

/** A failed system whose failing builds ran on a builder that no longer answers: say so. */
async function explainRemoteFailures(remote: RemoteBuilders, results: SystemBuildResult[], log: BuildLog, nix: NixRunner, signal?: AbortSignal): Promise<void> {
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

function noBuilderFor(system: string, builders: CheckedBuilder[]): string {
  const reasons = builders.map(b => (b.reachable ? `${b.host} ${b.refused.find(r => r.system === system)?.reason ?? `does not offer ${system}`}` : `${b.host} is ${b.error}`))
  return (
    `No remote builder builds ${system} (${reasons.join('; ')}), and 'remote-fallback' is 'fail'. ` +
    `To fix: add a builder that offers ${system} to 'builders' (and check it is reachable), or set 'remote-fallback: emulate' to build it under QEMU here.`
  )
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
