// The stale-hash stage: from Nix's own mismatch reports (and a check-mode rebuild of outputs that
// could hide a stale hash), locate each stale hash in the repository, write Nix's `got` in the same
// form, and build again until every system passes (bounded rounds). Only verified fixes stay in
// the work tree; `report` mode leaves the work tree as it found it.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { otherHashAdvice } from '../../explain/advice.js'
import { toExplainOther } from '../../explain/recognisers/hash-errors.js'
import { locateStaleHash } from '../../hashes/locate.js'
import { type MismatchParseResult, isActionable } from '../../hashes/mismatch-parser.js'
import { patchStaleHashes } from '../../hashes/patch.js'
import { trackedTextFilesReader } from '../../hashes/repo-files.js'
import { revertPatchedHash } from '../../hashes/revert.js'
import type { CheckFodsPolicy, FixHashesMode } from '../../inputs.js'
import type { HostFacts } from '../../setup/host.js'
import { buildSystems } from '../build/build-stage.js'
import type { BuildStageResult } from '../build/types.js'
import type { StageEnv } from '../stage.js'
import { DiscoveryContext, buildEachAlone, fodsNeedingConfirmation, liveMismatchParser, staleFodsOf } from './discover.js'
import { reportHashes } from './hashes-report.js'
import { planPatches, planRound, sri } from './plan-round.js'
import type { FixHashesResult, HashProblem, StaleFod } from './types.js'
import { AppliedFix, checkTwins, dropNondeterministic, recheckSilentCandidates, verifiedFixes } from './verify.js'
import { pathAt } from '../../report/quoted-path.js'

export interface FixHashesOptions extends StageEnv {
  /** `report` verifies in place and then restores every file; the others keep verified fixes. */
  mode: Exclude<FixHashesMode, 'off'>
  flake: string
  package: string
  systems: string[]
  /** The repository whose tracked files hold the hashes (the flake's checkout). */
  repoDir: string
  /** Where Nix runs, so a relative flake reference resolves (the workspace). */
  cwd: string
  /** The build the pipeline already ran, and what the mismatch parser read from it. */
  firstBuild: BuildStageResult
  firstReports: MismatchParseResult
  recheck: CheckFodsPolicy
  /** Base commit for "did a lock file change?" (PR base, push `before`, or `--base`). */
  base?: string
  /** Store paths restored from a cache in this run. */
  cachedPaths?: Set<string>
  maxRounds?: number
  hostFacts?: HostFacts
}

/** What the rounds carry from one to the next. */
interface RoundState {
  build: BuildStageResult
  reports: MismatchParseResult
  round: number
  applied: AppliedFix[]
  problems: HashProblem[]
  /** Hashes (SRI `specified`) refused once: never patched again in this run. */
  blocked: Set<string>
  checkedTwins: Set<string>
  /** Each written file's bytes as found, to put back whatever is not kept. */
  originals: Map<string, Buffer>
}

/** The stage: the rounds, in one log group, then their report (annotations at file:line, summary). */
export async function runFixHashesStage(options: FixHashesOptions): Promise<FixHashesResult> {
  const result = await options.reporter.group('Stale fixed-output hashes', () => fixStaleHashes(options))
  reportHashes(result, options.reporter, options.mode !== 'report')
  return result
}

async function fixStaleHashes(options: FixHashesOptions): Promise<FixHashesResult> {
  const state: RoundState = {
    build: options.firstBuild,
    reports: options.firstReports,
    round: 1,
    applied: [],
    problems: [],
    blocked: new Set(),
    checkedTwins: new Set(),
    originals: new Map()
  }
  let completed = false
  try {
    const silent = await recheckSilentCandidates(options, discovery(options, state.build))
    await runRounds(options, state, [...silent.stale])
    const result = await finish(options, state, silent.rechecked)
    completed = true
    return result
  } finally {
    // Report mode, a cancellation or an error: the work tree goes back to how it was found.
    if (options.mode === 'report' || !completed || options.signal?.aborted) {
      for (const [file, bytes] of state.originals) writeFileSync(join(options.repoDir, file), bytes)
    }
  }
}

/** Fix what the last build reported, build every system again, until nothing new (bounded). */
async function runRounds(options: FixHashesOptions, state: RoundState, stale: StaleFod[]): Promise<void> {
  const maxRounds = options.maxRounds ?? 4
  for (;;) {
    stale.push(...(await staleOfLastBuild(options, state)))
    if ((await writeRound(options, state, dedupe(stale))) === 0) return
    if (state.round >= maxRounds) {
      state.problems.push({
        kind: 'not-converged',
        message: `Still finding stale hashes after ${maxRounds} rounds; stopped. Run nix-ci fix-hashes again, or fix the rest by hand.`
      })
      return
    }
    if (options.signal?.aborted) return
    state.round++
    const parser = liveMismatchParser()
    state.build = await options.reporter.group(`Stale hashes: verify round ${state.round} (build every system with the fixes)`, () =>
      buildSystems({ ...buildOptions(options), observe: parser.onLine })
    )
    state.reports = parser.finish()
    stale = await checkTwins(state.build, state.applied, state.checkedTwins, discovery(options, state.build), options.reporter)
  }
}

/**
 * The last build's stale FODs: Nix's own reports, and failed FODs confirmed by building each alone
 * (a daemon relays some errors without their structured form). Other hash errors become problems.
 */
async function staleOfLastBuild(options: FixHashesOptions, state: RoundState): Promise<StaleFod[]> {
  const { build } = state
  const stale = staleFodsOf(state.reports.mismatches, build.fixedOutputs)
  const unconfirmed = build.cancelled ? [] : fodsNeedingConfirmation(state.reports.mismatches, build.fixedOutputs)
  if (unconfirmed.length > 0) {
    const confirmed = await options.reporter.group(
      `Stale hashes: confirming ${unconfirmed.length} failed fixed-output derivation(s) one by one`,
      () => buildEachAlone(discovery(options, build), unconfirmed, false)
    )
    stale.push(...confirmed.stale)
    state.reports = { ...state.reports, otherHashErrors: [...state.reports.otherHashErrors, ...confirmed.otherHashErrors] }
  }
  // Only what Nix itself reported: a msg without raw_msg may be a builder's `@nix` line, worded
  // to end up in the PR body.
  for (const other of state.reports.otherHashErrors.filter(isActionable)) {
    state.problems.push({
      kind: 'other-hash-error',
      message: `${other.text} — this is not a fixed-output derivation's hash; nix-ci does not patch it. ${otherHashAdvice(toExplainOther(other))}`
    })
  }
  return stale
}

/** Carries out a round's plan; returns how many new fixes were written. */
async function writeRound(options: FixHashesOptions, state: RoundState, stale: StaleFod[]): Promise<number> {
  const trackedTextFiles = await trackedTextFilesReader(options.repoDir)
  const locate = (s: Parameters<typeof locateStaleHash>[1]) => locateStaleHash(trackedTextFiles(), s)
  const plan = planRound(stale, state.applied, state.blocked, locate)
  for (const fix of plan.revert) {
    revertPatchedHash(options.repoDir, fix.patched)
    state.applied.splice(state.applied.indexOf(fix), 1)
  }
  for (const hash of plan.block) state.blocked.add(hash)
  state.problems.push(...plan.problems)
  // A take-back moved bytes: the hashes still to write are located again in the files as they are now.
  const patches = plan.revert.length === 0 ? plan.patches : relocated(stale, state, locate)
  if (patches.length === 0) return 0
  for (const { occurrence } of patches) {
    if (!state.originals.has(occurrence.file)) state.originals.set(occurrence.file, readFileSync(join(options.repoDir, occurrence.file)))
  }
  // One call: every edit of a file is planned from the same bytes and written at once.
  const written = patchStaleHashes(
    options.repoDir,
    patches.map(p => ({ occurrence: p.occurrence, got: p.stale.got }))
  )
  for (const { stale: fixed, occurrence } of patches) {
    const patched = written.find(w => w.file === occurrence.file && w.line === occurrence.line && w.column === occurrence.column)
    if (patched === undefined) continue
    state.applied.push({ stale: fixed, patched, newSri: sri(fixed.got) })
    options.reporter.info(
      `${pathAt(patched.file, patched.line)}: ${patched.before || '""'} -> ${patched.after} (${fixed.name}, ${fixed.system})`
    )
  }
  return patches.length
}

function relocated(stale: StaleFod[], state: RoundState, locate: Parameters<typeof planPatches>[2]) {
  const again = planPatches(stale, state.blocked, locate)
  for (const hash of again.block) state.blocked.add(hash)
  state.problems.push(...again.problems)
  return again.patches
}

/** The last checks, then the result: only fixes the last build verified are kept. */
async function finish(options: FixHashesOptions, state: RoundState, rechecked: string[]): Promise<FixHashesResult> {
  const { applied, problems, build } = state
  if (!options.signal?.aborted) await dropNondeterministic(applied, build, problems, discovery(options, build), options)
  let fixes = verifiedFixes(applied, build, problems, options.repoDir)
  // A cancelled round did not build every system with the fixes, and the finally below puts the
  // work tree back: the result must not claim fixes that are no longer there.
  if (options.signal?.aborted && fixes.length > 0) {
    problems.push({
      kind: 'not-verified',
      message:
        'The run was cancelled before every system was built with the fixes: nothing was kept, and the work tree is as it was found. Run nix-ci fix-hashes again.'
    })
    fixes = []
  }
  // A file none of whose fixes stayed gets its saved bytes back: exactly as it was found.
  for (const [file, bytes] of state.originals) if (!fixes.some(f => f.file === file)) writeFileSync(join(options.repoDir, file), bytes)
  const status =
    applied.length === 0 && problems.length === 0 ? 'clean' : fixes.length === 0 ? 'failed' : problems.length === 0 ? 'fixed' : 'partial'
  const keep = options.mode !== 'report'
  return {
    ok: status === 'clean',
    failures:
      status === 'clean'
        ? []
        : [
            `Stale fixed-output hashes: ${fixes.length} fixed and verified${keep ? ' (in the work tree)' : ' (reported only)'}, ${problems.length} not fixed`
          ],
    status,
    fixes,
    problems,
    writtenFiles: keep ? [...new Set(fixes.map(f => f.file))] : [],
    rounds: state.round,
    rechecked,
    nixVersion: build.nixVersion
  }
}

function discovery(options: FixHashesOptions, build: BuildStageResult): DiscoveryContext {
  return {
    nix: build.nix,
    nixVersion: build.nixVersion,
    reporter: options.reporter,
    cwd: options.cwd,
    signal: options.signal,
    fixedOutputs: build.fixedOutputs
  }
}

function buildOptions(options: FixHashesOptions) {
  return {
    flake: options.flake,
    package: options.package,
    systems: options.systems,
    nix: options.nix,
    reporter: options.reporter,
    cwd: options.cwd,
    signal: options.signal,
    hostFacts: options.hostFacts,
    // Nix's config and the emulation set-up do not change between rounds: done once per run.
    setUp: options.firstBuild.setUp
  }
}

/** One report per (specified, got) pair per system is enough. */
function dedupe(stale: StaleFod[]): StaleFod[] {
  const seen = new Set<string>()
  return stale.filter(s => {
    const key = `${s.system} ${sri(s.specified)} ${sri(s.got)}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
