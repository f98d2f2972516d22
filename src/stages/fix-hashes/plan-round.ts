// What one fix-hashes round does with the stale hashes Nix reported, decided without touching a
// file: which to patch where, which to refuse (platform conflict, not found, ambiguous), and
// which earlier fix to take back. The stage's writer then carries the plan out.
import { toSri } from '../../hashes/codec.js'
import type { HashOccurrence, LocateResult, StaleHash } from '../../hashes/locate.js'
import type { HashProblem, StaleFod } from './types.js'
import { pathAt } from '../../report/quoted-path.js'

/** A fix already written in this run: what it fixed, and its hash as Nix will report it. */
export interface EarlierFix {
  stale: StaleFod
  newSri: string
}

export interface RoundPlan<F extends EarlierFix> {
  /** One patch per stale hash: write `stale.got` at `occurrence`. */
  patches: { stale: StaleFod; occurrence: HashOccurrence }[]
  /** Earlier fixes to take back (another system reported the hash they wrote). */
  revert: F[]
  problems: HashProblem[]
  /** `specified` hashes (SRI) never to patch again in this run. */
  block: string[]
}

/**
 * Plans a round: first the platform conflicts (a hash reported with two answers, or a hash this
 * run wrote reported again), then a location for each remaining stale hash. `blocked` holds the
 * hashes refused in earlier rounds; `locate` finds a stale hash in the repository's tracked files.
 */
export function planRound<F extends EarlierFix>(
  stale: StaleFod[],
  applied: F[],
  blocked: ReadonlySet<string>,
  locate: Locate
): RoundPlan<F> {
  const plan: RoundPlan<F> = { patches: [], revert: [], problems: [], block: [] }
  for (const [specified, group] of bySpecified(stale)) {
    if (blocked.has(specified)) continue
    const earlier = applied.find(a => a.newSri === specified)
    if (earlier || new Set(group.map(s => sri(s.got))).size > 1) planConflict(plan, specified, group, earlier)
  }
  const located = planPatches(stale, new Set([...blocked, ...plan.block]), locate)
  return { ...plan, patches: located.patches, problems: [...plan.problems, ...located.problems], block: [...plan.block, ...located.block] }
}

export type Locate = (stale: StaleHash) => LocateResult

/** Where to write each stale hash not blocked, or why not (not found, ambiguous). */
export function planPatches(
  stale: StaleFod[],
  blocked: ReadonlySet<string>,
  locate: Locate
): Pick<RoundPlan<EarlierFix>, 'patches' | 'problems' | 'block'> {
  const plan: Pick<RoundPlan<EarlierFix>, 'patches' | 'problems' | 'block'> = { patches: [], problems: [], block: [] }
  for (const [specified, [first]] of bySpecified(stale)) {
    if (blocked.has(specified)) continue
    const location = locate({ derivation: first.drvPath, specified: first.specified })
    const refusal = refuseLocation(first, location)
    if (location.kind === 'found' && refusal === undefined) plan.patches.push({ stale: first, occurrence: location.occurrence })
    else {
      plan.block.push(specified)
      if (refusal) plan.problems.push(refusal)
    }
  }
  return plan
}

function bySpecified(stale: StaleFod[]): Map<string, StaleFod[]> {
  const groups = new Map<string, StaleFod[]>()
  for (const s of stale) groups.set(sri(s.specified), [...(groups.get(sri(s.specified)) ?? []), s])
  return groups
}

function planConflict<F extends EarlierFix>(plan: RoundPlan<F>, specified: string, group: StaleFod[], earlier: F | undefined): void {
  const values = earlier ? [{ system: earlier.stale.system, got: earlier.stale.got }, ...group] : group
  if (earlier) {
    plan.revert.push(earlier)
    plan.block.push(sri(earlier.stale.specified))
  }
  plan.block.push(specified)
  plan.problems.push({
    kind: 'platform-conflict',
    derivation: group[0].name,
    message:
      `'${group[0].name}' has different correct hashes on different systems (${values.map(v => `${v.system}: ${v.got}`).join('; ')}). ` +
      'Its output depends on the platform (e.g. precompiled NIFs or per-arch binaries): give each system its own hash ' +
      '(e.g. `hash = { x86_64-linux = "…"; aarch64-linux = "…"; }.${system};`) and nix-ci will fix each. Nothing was patched.'
  })
}

/** Why a located hash must not be patched: not found, or a real hash standing in several places. */
function refuseLocation(stale: StaleFod, location: LocateResult): HashProblem | undefined {
  if (location.kind !== 'found')
    return { kind: location.kind, derivation: stale.name, message: location.message, candidates: location.candidates }
  // A real hash written in several places may be shared on purpose (one source, two derivations):
  // changing one of them is a guess either way, so say where they all are instead.
  if (location.occurrence.fake || location.candidates.length <= 1) return undefined
  const where = location.candidates.map(c => pathAt(c.file, c.line)).join(', ')
  return {
    kind: 'ambiguous',
    derivation: stale.name,
    candidates: location.candidates,
    message:
      `The stale hash ${stale.specified} of '${stale.name}' stands in ${location.candidates.length} places (${where}); nix-ci does not guess which to change. ` +
      `Nix says the right hash for '${stale.name}' is ${stale.got}: if those places are the same source, write it in all of them; otherwise give each derivation its own hash.`
  }
}

/** A hash in SRI form, or as given when it does not parse. */
export function sri(hash: string): string {
  try {
    return toSri(hash)
  } catch {
    return hash
  }
}
