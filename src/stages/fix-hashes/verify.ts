// The checks around the rounds, each a check-mode rebuild (`--rebuild`): outputs already in the
// store that could hide a stale hash, other systems' twins of a fixed derivation, and every fixed
// derivation built twice (nondeterminism). Then which fixes the last build verified.
import { hashesEqual, tryParseHash } from '../../hashes/codec.js'
import type { PatchedHash } from '../../hashes/patch.js'
import { revertPatchedHash } from '../../hashes/revert.js'
import type { Reporter } from '../../report/reporter.js'
import type { BuildStageResult, FixedOutputInfo } from '../build/types.js'
import { DiscoveryContext, checkRebuild } from './discover.js'
import type { FixHashesOptions } from './fix-hashes-stage.js'
import type { EarlierFix } from './plan-round.js'
import { changedLockFilesSince, fodsToRecheck } from './recheck-policy.js'
import type { HashFix, HashProblem, StaleFod } from './types.js'

/** A fix written in this run, and where. */
export interface AppliedFix extends EarlierFix {
  patched: PatchedHash
}

export async function recheckSilentCandidates(
  options: FixHashesOptions,
  context: DiscoveryContext
): Promise<{ stale: StaleFod[]; rechecked: string[] }> {
  const choices = fodsToRecheck({
    policy: options.recheck,
    fixedOutputs: options.firstBuild.fixedOutputs,
    builtDerivations: options.firstBuild.builtDerivations,
    changedLockFiles: await changedLockFilesSince(options.repoDir, options.base),
    cachedPaths: options.cachedPaths ?? new Set()
  })
  if (choices.length === 0) return { stale: [], rechecked: [] }
  const outcome = await options.reporter.group(`Stale hashes: re-checking ${choices.length} output(s) already in the store`, async () => {
    for (const choice of choices) options.reporter.info(`${choice.fod.name}: ${choice.reason}`)
    return checkRebuild(
      context,
      choices.map(c => c.fod)
    )
  })
  return { stale: outcome.stale, rechecked: choices.map(c => c.fod.drvPath) }
}

/**
 * Another system's twin of a fixed FOD shares its output path, so Nix never runs it: the output the
 * reporting system produced is taken as is. A platform-dependent output would differ there, so each
 * twin is rebuilt once in check mode. (The reporting system's own output needs no check: Nix's
 * report of `got` is the hash of what that very derivation produced, and the store path is
 * content-addressed.)
 */
export async function checkTwins(
  build: BuildStageResult,
  applied: AppliedFix[],
  checked: Set<string>,
  context: DiscoveryContext,
  reporter: Reporter
): Promise<StaleFod[]> {
  const built = new Set(build.builtDerivations)
  const twins = build.fixedOutputs.filter(
    f =>
      f.validAfter &&
      !built.has(f.drvPath) &&
      !checked.has(f.drvPath) &&
      applied.some(a => matchesHash(f, a.newSri) && a.stale.system !== f.system)
  )
  if (twins.length === 0) return []
  twins.forEach(t => checked.add(t.drvPath))
  const outcome = await reporter.group(
    `Stale hashes: check-mode rebuild of ${twins.length} other-system twin(s) of the fixed derivations`,
    () => checkRebuild(context, twins)
  )
  return outcome.stale
}

/**
 * A FOD whose output differs between builds has no hash to pin, and the verify round cannot tell:
 * the failed build's output already sits in the store under its `got` path, so Nix never builds it
 * again. Each fixed FOD the last round did not build is rebuilt once in check mode (`--rebuild`,
 * the same on Nix 2.8 and newer); a new mismatch means nondeterminism, and the fix is taken back.
 */
export async function dropNondeterministic(
  applied: AppliedFix[],
  build: BuildStageResult,
  problems: HashProblem[],
  context: DiscoveryContext,
  options: FixHashesOptions
): Promise<void> {
  const built = new Set(build.builtDerivations)
  const toCheck = applied
    .map(fix => ({ fix, fod: build.fixedOutputs.find(f => f.validAfter && f.system === fix.stale.system && matchesHash(f, fix.newSri)) }))
    .filter((c): c is { fix: AppliedFix; fod: FixedOutputInfo } => c.fod !== undefined && !built.has(c.fod.drvPath))
  if (toCheck.length === 0) return
  const outcome = await options.reporter.group(
    `Stale hashes: check-mode rebuild of ${toCheck.length} fixed derivation(s), to be sure each builds the same bytes twice`,
    () =>
      checkRebuild(
        context,
        toCheck.map(c => c.fod)
      )
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

/** A fix stays only when the last build realised its FOD under the new hash; the rest is undone. */
export function verifiedFixes(applied: AppliedFix[], build: BuildStageResult, problems: HashProblem[], repoDir: string): HashFix[] {
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
