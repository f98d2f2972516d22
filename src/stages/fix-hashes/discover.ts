// Turns Nix's reports into stale FODs the stage may act on. Only Nix's own structured errors count
// (isActionable); a report that arrives without that proof (through a daemon, which relays its
// errors as plain text) is confirmed by building that one derivation on its own, where Nix does
// report it in structured form.
import { HashMismatch, MismatchParser, OtherHashError, isActionable } from '../../hashes/mismatch-parser.js'
import type { NixRunner } from '../../nix/runner.js'
import type { Reporter } from '../../report/reporter.js'
import { BuildLog } from '../build/build-log.js'
import { realise } from '../build/realise.js'
import type { FixedOutputInfo } from '../build/types.js'
import type { StaleFod } from './types.js'

export interface DiscoveryContext {
  nix: NixRunner
  nixVersion: string
  reporter: Reporter
  cwd?: string
  signal?: AbortSignal
  fixedOutputs: FixedOutputInfo[]
}

/** A parser for live runs: internal-json only, so plain text (a builder's) is never read as Nix. */
export function liveMismatchParser(): MismatchParser {
  return new MismatchParser({ trust: 'internal-json-only' })
}

/** Matches a report to the FOD it names (a .drv path, or the output path older Nix prints). */
export function fodOfReport(report: HashMismatch, fixedOutputs: FixedOutputInfo[]): FixedOutputInfo | undefined {
  return fixedOutputs.find(f => (report.kind === 'drv' ? f.drvPath === report.derivation : f.outputPaths.includes(report.derivation)))
}

export function staleFodsOf(reports: HashMismatch[], fixedOutputs: FixedOutputInfo[], silent = false): StaleFod[] {
  const stale: StaleFod[] = []
  for (const report of reports.filter(isActionable)) {
    const fod = fodOfReport(report, fixedOutputs)
    stale.push({
      drvPath: fod?.drvPath ?? report.derivation,
      name: fod?.name ?? report.derivation.replace(/^\/nix\/store\/[a-z0-9]{32}-/, '').replace(/\.drv$/, ''),
      system: fod?.system ?? 'unknown',
      specified: report.specified,
      got: report.got,
      silent
    })
  }
  return stale
}

/**
 * FODs that failed without a report the stage may act on: named only by unverified reports, or
 * left unbuilt with no report at all (a daemon with --keep-going reports only the first failure).
 */
export function fodsNeedingConfirmation(reports: HashMismatch[], fixedOutputs: FixedOutputInfo[]): FixedOutputInfo[] {
  const covered = new Set(reports.filter(isActionable).flatMap(r => fodOfReport(r, fixedOutputs)?.outputPaths ?? []))
  const needing: FixedOutputInfo[] = []
  for (const fod of fixedOutputs) {
    if (fod.validAfter || fod.outputPaths.some(p => covered.has(p))) continue
    fod.outputPaths.forEach(p => covered.add(p))
    needing.push(fod)
  }
  return needing
}

export interface SingleBuildOutcome {
  stale: StaleFod[]
  otherHashErrors: OtherHashError[]
}

/** Builds each derivation as its own top-level target (optionally in check mode) and reads Nix's verdict. */
export async function buildEachAlone(context: DiscoveryContext, fods: FixedOutputInfo[], check: boolean): Promise<SingleBuildOutcome> {
  const outcome: SingleBuildOutcome = { stale: [], otherHashErrors: [] }
  for (const fod of fods) {
    if (context.signal?.aborted) break
    const parser = liveMismatchParser()
    const log = new BuildLog(text => context.reporter.untrusted(text))
    await realise({
      nix: context.nix,
      nixVersion: context.nixVersion,
      drvPaths: [fod.drvPath],
      log,
      observe: parser.onLine,
      extraArgs: check ? ['--rebuild'] : [],
      cwd: context.cwd,
      signal: context.signal
    })
    const result = parser.finish()
    outcome.stale.push(...staleFodsOf(result.mismatches, context.fixedOutputs, check))
    outcome.otherHashErrors.push(...result.otherHashErrors)
  }
  return outcome
}

/**
 * Rebuilds these fixed-output derivations in check mode, all in one `nix build --rebuild
 * --keep-going` (so they build in parallel and Nix evaluates nothing twice). Only when Nix failed
 * without saying in structured form which one did (a daemon relays plain text) are the unnamed
 * ones built again alone, where it does.
 */
export async function checkRebuild(context: DiscoveryContext, fods: FixedOutputInfo[]): Promise<SingleBuildOutcome> {
  if (fods.length <= 1) return buildEachAlone(context, fods, true)
  const parser = liveMismatchParser()
  const log = new BuildLog(text => context.reporter.untrusted(text))
  const run = await realise({
    nix: context.nix,
    nixVersion: context.nixVersion,
    drvPaths: fods.map(f => f.drvPath),
    log,
    observe: parser.onLine,
    extraArgs: ['--rebuild'],
    cwd: context.cwd,
    signal: context.signal
  })
  const result = parser.finish()
  const stale = staleFodsOf(result.mismatches, context.fixedOutputs, true)
  if (run.exitCode === 0 || run.cancelled) return { stale, otherHashErrors: result.otherHashErrors }
  const named = new Set(stale.map(s => s.drvPath))
  const alone = await buildEachAlone(
    context,
    fods.filter(f => !named.has(f.drvPath)),
    true
  )
  return { stale: [...stale, ...alone.stale], otherHashErrors: [...result.otherHashErrors, ...alone.otherHashErrors] }
}
