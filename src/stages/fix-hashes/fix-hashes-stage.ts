// The stale-hash stage: from Nix's own mismatch reports (and a check-mode rebuild of outputs that
// could hide a stale hash), locate each stale hash in the repository, write Nix's `got` in the same
// form, and build again until every system passes (bounded rounds). Only verified fixes stay in
// the work tree; `report` mode leaves the work tree as it found it.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { otherHashAdvice } from '../../explain/advice.js'
import { toExplainOther } from '../../explain/recognisers/hash-errors.js'
import { hashesEqual, toSri, tryParseHash } from '../../hashes/codec.js'
import { locateStaleHash } from '../../hashes/locate.js'
import { type MismatchParseResult, isActionable } from '../../hashes/mismatch-parser.js'
import { PatchedHash, patchStaleHashes } from '../../hashes/patch.js'
import type { NixRunner } from '../../nix/runner.js'
import type { Reporter } from '../../report/reporter.js'
import type { HostFacts } from '../../setup/host.js'
import { runBuildStage } from '../build/build-stage.js'
import type { BuildStageResult, FixedOutputInfo } from '../build/types.js'
import { DiscoveryContext, buildEachAlone, checkRebuild, fodsNeedingConfirmation, liveMismatchParser, staleFodsOf } from './discover.js'
import type { CheckFodsPolicy } from '../../inputs.js'
import { changedLockFilesSince, fodsToRecheck } from './recheck-policy.js'
import { revertPatchedHash } from '../../hashes/revert.js'
import type { FixHashesResult, HashFix, HashProblem, StaleFod } from './types.js'

export interface FixHashesOptions {
  /** `report` verifies in place and then restores every file; the others keep verified fixes. */
  mode: 'pull-request' | 'commit' | 'report'
  flake: string
  package: string
  systems: string[]
  nix: NixRunner
  reporter: Reporter
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
  signal?: AbortSignal
  hostFacts?: HostFacts
}

interface AppliedFix {
  stale: StaleFod
  patched: PatchedHash
  /** The hash in SRI, as Nix will report it when it is `specified` again. */
  newSri: string
}

export async function runFixHashesStage(options: FixHashesOptions): Promise<FixHashesResult> {
  const { reporter } = options
  const maxRounds = options.maxRounds ?? 4
  const originals = new Map<string, Buffer>()
  const applied: AppliedFix[] = []
  const problems: HashProblem[] = []
  const blockedSpecified = new Set<string>()
  const checkedTwins = new Set<string>()
  let build = options.firstBuild
  let reports = options.firstReports
  let round = 1
  let rechecked: string[] = []
  let completed = false
  const context = (b: BuildStageResult): DiscoveryContext => ({
    nix: b.nix,
    nixVersion: b.nixVersion,
    reporter,
    cwd: options.cwd,
    signal: options.signal,
    fixedOutputs: b.fixedOutputs
  })

  try {
    const silent = await recheckSilentCandidates(options, context(build))
    rechecked = silent.rechecked
    let stale = [...silent.stale]
    for (;;) {
      stale.push(...staleFodsOf(reports.mismatches, build.fixedOutputs))
      const unconfirmed = build.cancelled ? [] : fodsNeedingConfirmation(reports.mismatches, build.fixedOutputs)
      if (unconfirmed.length > 0) {
        const confirmed = await reporter.group(`Stale hashes: confirming ${unconfirmed.length} failed fixed-output derivation(s) one by one`, () =>
          buildEachAlone(context(build), unconfirmed, false)
        )
        stale.push(...confirmed.stale)
        reports = { ...reports, otherHashErrors: [...reports.otherHashErrors, ...confirmed.otherHashErrors] }
      }
      // Only what Nix itself reported: a msg without raw_msg may be a builder's `@nix` line, worded
      // to end up in the PR body.
      for (const other of reports.otherHashErrors.filter(isActionable)) {
        problems.push({
          kind: 'other-hash-error',
          message: `${other.text} — this is not a fixed-output derivation's hash; nix-ci does not patch it. ${otherHashAdvice(toExplainOther(other))}`
        })
      }
      const newFixes = applyRound(options, dedupe(stale), applied, problems, blockedSpecified, originals)
      if (newFixes === 0) break
      if (round >= maxRounds) {
        problems.push({ kind: 'not-converged', message: `Still finding stale hashes after ${maxRounds} rounds; stopped. Run nix-ci fix-hashes again, or fix the rest by hand.` })
        break
      }
      if (options.signal?.aborted) break
      round++
      const parser = liveMismatchParser()
      build = await reporter.group(`Stale hashes: verify round ${round} (build every system with the fixes)`, () =>
        runBuildStage({ ...buildOptions(options), observe: parser.onLine })
      )
      reports = parser.finish()
      stale = await checkTwins(build, applied, checkedTwins, context(build), reporter)
    }
    if (!options.signal?.aborted) await dropNondeterministic(applied, build, problems, context(build), options)
    let fixes = verifiedFixes(applied, build, problems, options.repoDir)
    // A cancelled round did not build every system with the fixes, and the finally below puts the
    // work tree back: the result must not claim fixes that are no longer there.
    if (options.signal?.aborted && fixes.length > 0) {
      problems.push({ kind: 'not-verified', message: 'The run was cancelled before every system was built with the fixes: nothing was kept, and the work tree is as it was found. Run nix-ci fix-hashes again.' })
      fixes = []
    }
    // A file none of whose fixes stayed gets its saved bytes back: exactly as it was found.
    for (const [file, bytes] of originals) if (!fixes.some(f => f.file === file)) writeFileSync(join(options.repoDir, file), bytes)
    completed = true
    return {
      status: applied.length === 0 && problems.length === 0 ? 'clean' : fixes.length === 0 ? 'failed' : problems.length === 0 ? 'fixed' : 'partial',
      fixes,
      problems,
      writtenFiles: options.mode === 'report' ? [] : [...new Set(fixes.map(f => f.file))],
      rounds: round,
      rechecked,
      nixVersion: build.nixVersion
    }
  } finally {
    // Report mode, a cancellation or an error: the work tree goes back to how it was found.
    if (options.mode === 'report' || !completed || options.signal?.aborted) {
      for (const [file, bytes] of originals) writeFileSync(join(options.repoDir, file), bytes)
    }
  }
}

/**
 * Another system's twin of a fixed FOD shares its output path, so Nix never runs it: the output the
 * reporting system produced is taken as is. A platform-dependent output would differ there, so each
 * twin is rebuilt once in check mode. (The reporting system's own output needs no check: Nix's
 * report of `got` is the hash of what that very derivation produced, and the store path is
 * content-addressed.)
 */
async function checkTwins(
  build: BuildStageResult,
  applied: AppliedFix[],
  checked: Set<string>,
  context: DiscoveryContext,
  reporter: Reporter
): Promise<StaleFod[]> {
  const built = new Set(build.builtDerivations)
  const twins = build.fixedOutputs.filter(
    f => f.validAfter && !built.has(f.drvPath) && !checked.has(f.drvPath) && applied.some(a => matchesHash(f, a.newSri) && a.stale.system !== f.system)
  )
  if (twins.length === 0) return []
  twins.forEach(t => checked.add(t.drvPath))
  const outcome = await reporter.group(`Stale hashes: check-mode rebuild of ${twins.length} other-system twin(s) of the fixed derivations`, () =>
    checkRebuild(context, twins)
  )
  return outcome.stale
}

/**
 * A FOD whose output differs between builds has no hash to pin, and the verify round cannot tell:
 * the failed build's output already sits in the store under its `got` path, so Nix never builds it
 * again. Each fixed FOD the last round did not build is rebuilt once in check mode (`--rebuild`,
 * the same on Nix 2.8 and newer); a new mismatch means nondeterminism, and the fix is taken back.
 */
async function dropNondeterministic(applied: AppliedFix[], build: BuildStageResult, problems: HashProblem[], context: DiscoveryContext, options: FixHashesOptions): Promise<void> {
  const built = new Set(build.builtDerivations)
  const toCheck = applied
    .map(fix => ({ fix, fod: build.fixedOutputs.find(f => f.validAfter && f.system === fix.stale.system && matchesHash(f, fix.newSri)) }))
    .filter((c): c is { fix: AppliedFix; fod: FixedOutputInfo } => c.fod !== undefined && !built.has(c.fod.drvPath))
  if (toCheck.length === 0) return
  const outcome = await options.reporter.group(`Stale hashes: check-mode rebuild of ${toCheck.length} fixed derivation(s), to be sure each builds the same bytes twice`, () =>
    checkRebuild(context, toCheck.map(c => c.fod))
  )
  for (const { fix, fod } of toCheck) {
    const again = outcome.stale.find(s => s.drvPath === fod.drvPath)
    if (!again) continue
    revertPatchedHash(options.repoDir, fix.patched)
    applied.splice(applied.indexOf(fix), 1)
    problems.push({
      kind: 'nondeterministic',
      derivation: fix.stale.name,
      message:
        `'${fix.stale.name}' produces a different output each time it is built (${fix.stale.got}, then ${again.got}), so no hash can pin it; nix-ci kept none. ` +
        'A fixed-output derivation must produce the same bytes every time. Usual causes: timestamps or build dates written into the output ' +
        '(for archives: `--sort=name --mtime=@0 --owner=0 --group=0`, or SOURCE_DATE_EPOCH), file order or permissions that vary, and fetches of ' +
        'something unpinned (a branch, "latest", a tarball the server regenerates, a dependency resolver that picks the newest version). ' +
        'Pin the source to a tag, commit or versioned URL, normalise the output, check with `nix build --rebuild` that two builds agree, then run nix-ci fix-hashes again.'
    })
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

async function recheckSilentCandidates(options: FixHashesOptions, context: DiscoveryContext): Promise<{ stale: StaleFod[]; rechecked: string[] }> {
  const choices = fodsToRecheck({
    policy: options.recheck,
    fixedOutputs: options.firstBuild.fixedOutputs,
    builtDerivations: options.firstBuild.builtDerivations,
    changedLockFiles: changedLockFilesSince(options.repoDir, options.base),
    cachedPaths: options.cachedPaths ?? new Set()
  })
  if (choices.length === 0) return { stale: [], rechecked: [] }
  const outcome = await options.reporter.group(`Stale hashes: re-checking ${choices.length} output(s) already in the store`, async () => {
    for (const choice of choices) options.reporter.info(`${choice.fod.name}: ${choice.reason}`)
    return checkRebuild(context, choices.map(c => c.fod))
  })
  return { stale: outcome.stale, rechecked: choices.map(c => c.fod.drvPath) }
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

/** Locates and patches this round's stale hashes; returns how many new fixes were written. */
function applyRound(
  options: FixHashesOptions,
  stale: StaleFod[],
  applied: AppliedFix[],
  problems: HashProblem[],
  blocked: Set<string>,
  originals: Map<string, Buffer>
): number {
  let written = 0
  const bySpecified = new Map<string, StaleFod[]>()
  for (const s of stale) bySpecified.set(sri(s.specified), [...(bySpecified.get(sri(s.specified)) ?? []), s])
  for (const [specified, group] of bySpecified) {
    if (blocked.has(specified)) continue
    // A hash we wrote, reported again by another system: platform-dependent output.
    const earlier = applied.find(a => a.newSri === specified)
    const gots = [...new Set(group.map(s => sri(s.got)))]
    if (earlier || gots.length > 1) {
      const values = earlier ? [{ system: earlier.stale.system, got: earlier.stale.got }, ...group] : group
      if (earlier) {
        revertPatchedHash(options.repoDir, earlier.patched)
        applied.splice(applied.indexOf(earlier), 1)
        blocked.add(sri(earlier.stale.specified))
      }
      blocked.add(specified)
      problems.push({
        kind: 'platform-conflict',
        derivation: group[0].name,
        message:
          `'${group[0].name}' has different correct hashes on different systems (${values.map(v => `${v.system}: ${v.got}`).join('; ')}). ` +
          'Its output depends on the platform (e.g. precompiled NIFs or per-arch binaries): give each system its own hash ' +
          '(e.g. `hash = { x86_64-linux = "…"; aarch64-linux = "…"; }.${system};`) and nix-ci will fix each. Nothing was patched.'
      })
      continue
    }
    const first = group[0]
    const location = locateStaleHash(options.repoDir, { derivation: first.drvPath, specified: first.specified })
    if (location.kind !== 'found') {
      blocked.add(specified)
      problems.push({ kind: location.kind, derivation: first.name, message: location.message, candidates: location.candidates })
      continue
    }
    // A real hash written in several places may be shared on purpose (one source, two derivations):
    // changing one of them is a guess either way, so say where they all are instead.
    if (!location.occurrence.fake && location.candidates.length > 1) {
      blocked.add(specified)
      const where = location.candidates.map(c => `${c.file}:${c.line}`).join(', ')
      problems.push({
        kind: 'ambiguous',
        derivation: first.name,
        candidates: location.candidates,
        message:
          `The stale hash ${first.specified} of '${first.name}' stands in ${location.candidates.length} places (${where}); nix-ci does not guess which to change. ` +
          `Nix says the right hash for '${first.name}' is ${first.got}: if those places are the same source, write it in all of them; otherwise give each derivation its own hash.`
      })
      continue
    }
    const file = location.occurrence.file
    if (!originals.has(file)) originals.set(file, readFileSync(join(options.repoDir, file)))
    const [patched] = patchStaleHashes(options.repoDir, [{ occurrence: location.occurrence, got: first.got }])
    applied.push({ stale: first, patched, newSri: sri(first.got) })
    options.reporter.info(`${file}:${patched.line}: ${patched.before || '""'} -> ${patched.after} (${first.name}, ${first.system})`)
    written++
  }
  return written
}

/** A fix stays only when the last build realised its FOD under the new hash; the rest is undone. */
function verifiedFixes(applied: AppliedFix[], build: BuildStageResult, problems: HashProblem[], repoDir: string): HashFix[] {
  const fixes: HashFix[] = []
  for (const fix of applied) {
    const realised = build.fixedOutputs.filter(f => f.validAfter && matchesHash(f, fix.newSri))
    if (realised.length === 0) {
      revertPatchedHash(repoDir, fix.patched)
      problems.push({
        kind: 'not-verified',
        derivation: fix.stale.name,
        message: `The new hash for '${fix.stale.name}' (${fix.stale.got}) was not confirmed by a successful build, so it was not kept. See the build log above.`
      })
      continue
    }
    fixes.push({
      derivation: fix.stale.drvPath,
      name: fix.stale.name,
      file: fix.patched.file,
      line: fix.patched.line,
      column: fix.patched.column,
      old: fix.patched.before,
      new: fix.patched.after.replace(/^"|"$/g, ''),
      systems: [...new Set(realised.flatMap(f => f.neededBy))].sort(),
      silent: fix.stale.silent
    })
  }
  return fixes
}

function matchesHash(fod: FixedOutputInfo, wantedSri: string): boolean {
  const algo = fod.hashAlgo.replace(/^r:/, '')
  const declared = tryParseHash(fod.hash, algo as 'sha1' | 'sha256' | 'sha512')
  const wanted = tryParseHash(wantedSri)
  return declared !== undefined && wanted !== undefined && hashesEqual(declared, wanted)
}

function sri(hash: string): string {
  try {
    return toSri(hash)
  } catch {
    return hash
  }
}
