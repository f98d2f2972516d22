// The silent case: a FOD whose inputs changed but whose hash did not keeps its OLD output when that
// output is already in the store (or came from a cache) — no error, wrong dependencies shipped.
// These rules pick the already-valid FODs that must be rebuilt in check mode to rule that out.
import { diffNameOnly } from '../../git/git.js'
import type { FixedOutputInfo } from '../build/types.js'

import type { CheckFodsPolicy } from '../../inputs.js'
import { quotedPath } from '../../report/quoted-path.js'

/** Lock files whose change makes a vendored-dependency FOD's hash suspect. */
export const LOCK_FILE =
  /(^|\/)(mix\.lock|Cargo\.lock|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|go\.sum|go\.mod|Gemfile\.lock|poetry\.lock|uv\.lock|composer\.lock|gradle\.lockfile|deps\.edn|pubspec\.lock)$/

/** Names nixpkgs gives vendored-dependency FODs (fetchMixDeps, buildGoModule, buildNpmPackage, ...). */
export const VENDORED_DEPS_NAME =
  /(mix-deps|-deps-|-deps$|go-modules|npm-deps|node-modules|vendor|cargo-deps|yarn-deps|pnpm-deps|offline-cache|gradle-deps)/

export interface RecheckInputs {
  policy: CheckFodsPolicy
  fixedOutputs: FixedOutputInfo[]
  /** Derivations this run built (their outputs are fresh, no recheck needed). */
  builtDerivations: string[]
  /** Lock files changed since the base commit; undefined when no base is known. */
  changedLockFiles: string[] | undefined
  /** Store paths restored from a cache in this run. */
  cachedPaths: Set<string>
}

export interface RecheckChoice {
  fod: FixedOutputInfo
  reason: string
}

export function fodsToRecheck(inputs: RecheckInputs): RecheckChoice[] {
  if (inputs.policy === 'never') return []
  const built = new Set(inputs.builtDerivations)
  const choices: RecheckChoice[] = []
  const seenOutputs = new Set<string>()
  for (const fod of inputs.fixedOutputs) {
    // Only outputs that were in the store before this run can hide a stale hash.
    if (!fod.validBefore || built.has(fod.drvPath)) continue
    // Twins (the same FOD for another system) share the output: one check covers them.
    if (fod.outputPaths.some(p => seenOutputs.has(p))) continue
    const reason = recheckReason(fod, inputs)
    if (reason === undefined) continue
    fod.outputPaths.forEach(p => seenOutputs.add(p))
    choices.push({ fod, reason })
  }
  return choices
}

function recheckReason(fod: FixedOutputInfo, inputs: RecheckInputs): string | undefined {
  if (inputs.policy === 'always') return 'check-fods: always'
  if (fod.outputPaths.some(p => inputs.cachedPaths.has(p))) return 'its output was restored from a cache'
  if (!VENDORED_DEPS_NAME.test(fod.name)) return undefined
  if (inputs.changedLockFiles === undefined) return 'it vendors dependencies and no base commit is known to rule out a lock file change'
  if (inputs.changedLockFiles.length > 0)
    return `it vendors dependencies and ${inputs.changedLockFiles.map(quotedPath).join(', ')} changed since the base commit`
  return undefined
}

/**
 * Lock files changed between base and the work tree (committed or not). undefined when there is
 * no base, or git cannot compare (a shallow clone without the base commit).
 */
export async function changedLockFilesSince(repoDir: string, base: string | undefined): Promise<string[] | undefined> {
  if (!base || /^0+$/.test(base)) return undefined
  try {
    return (await diffNameOnly(repoDir, base)).filter(file => LOCK_FILE.test(file))
  } catch {
    // Not knowing is an answer here: the caller then rechecks every vendored-dependency FOD.
    return undefined
  }
}
