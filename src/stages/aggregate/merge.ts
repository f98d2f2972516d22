// The aggregate job's decision over every system's result: which systems are green, and which
// hash fixes stand. A fix is kept only when every system that needs that fixed-output derivation
// verified the same new hash; two values are a platform conflict, a system that could not confirm
// it (missing, failed, or fine with the old hash) leaves it unverified. Pure: tests give it results.
import type { FixHashesResult, HashFix, HashProblem } from '../fix-hashes/types.js'
import type { SystemResultFile } from './system-result.js'
import { pathAt } from '../../report/quoted-path.js'

export type SystemState =
  | { system: string; state: 'built'; result: SystemResultFile }
  | { system: string; state: 'failed'; result: SystemResultFile; reason: string }
  | { system: string; state: 'missing'; reason: string }

export interface AggregateDecision {
  systems: SystemState[]
  allGreen: boolean
  /** The merged stale-hash result, as if one job had built every system (writtenFiles still empty). */
  hashes: FixHashesResult
}

export function decideAggregate(expected: string[], found: Map<string, SystemResultFile | { missing: string }>): AggregateDecision {
  const systems: SystemState[] = expected.map(system => stateOf(system, found.get(system)))
  const results = systems.flatMap(s => (s.state === 'missing' ? [] : [s.result]))
  const fixes: HashFix[] = []
  const problems: HashProblem[] = []
  for (const r of results) for (const p of r.hashes.problems) problems.push({ ...p, message: `${r.system}: ${p.message}` })
  for (const group of groupFixes(results)) {
    const judged = judgeFix(group, systems)
    if ('kind' in judged) problems.push(judged)
    else fixes.push(judged)
  }
  const status: FixHashesResult['status'] =
    fixes.length === 0 && problems.length === 0 ? 'clean' : problems.length === 0 ? 'fixed' : fixes.length > 0 ? 'partial' : 'failed'
  const versions = [...new Set(results.map(r => r.nixVersion))]
  return {
    systems,
    allGreen: systems.every(s => s.state === 'built'),
    hashes: {
      ok: status === 'clean',
      failures: [],
      status,
      fixes,
      problems,
      writtenFiles: [],
      rounds: 0,
      rechecked: [],
      nixVersion: versions.join(', ') || 'unknown'
    }
  }
}

function stateOf(system: string, r: SystemResultFile | { missing: string } | undefined): SystemState {
  if (r === undefined) return { system, state: 'missing', reason: `no result from the matrix job for ${system}` }
  if ('missing' in r) return { system, state: 'missing', reason: r.missing }
  if (r.build.status !== 'built') return { system, state: 'failed', result: r, reason: r.build.error ?? r.build.status }
  return { system, state: 'built', result: r }
}

interface FixGroup {
  fix: HashFix
  /** The fix of the same hash in the same place, as each system verified it. */
  by: Map<string, HashFix>
}

function groupFixes(results: SystemResultFile[]): FixGroup[] {
  const groups = new Map<string, FixGroup>()
  for (const r of results) {
    for (const fix of r.hashes.fixes) {
      const key = `${fix.file}\0${fix.line}\0${fix.column}\0${fix.old}`
      const group = groups.get(key) ?? { fix, by: new Map() }
      group.by.set(r.system, fix)
      groups.set(key, group)
    }
  }
  return [...groups.values()]
}

/** The fix, kept when every system that needs it verified the same hash; else why not. */
function judgeFix({ fix, by }: FixGroup, systems: SystemState[]): HashFix | HashProblem {
  const where = `${fix.name} at ${pathAt(fix.file, fix.line)}`
  if (new Set([...by.values()].map(f => f.new)).size > 1) {
    const each = [...by].map(([system, f]) => `${system} verified ${f.new}`).join(', ')
    return {
      kind: 'platform-conflict',
      derivation: fix.name,
      message:
        `${where}: the systems disagree on its hash (${each}; the file has ${fix.old}). Its output differs per platform ` +
        '(a per-architecture download or precompiled NIF): give each system its own hash (e.g. `hash = { x86_64-linux = "…"; aarch64-linux = "…"; }.${system}`), or make the fetch platform-independent.'
    }
  }
  const needing = systems.filter(s => by.has(s.system) || s.state === 'missing' || s.result.fixedOutputs.includes(fix.name))
  const unconfirmed = needing.filter(s => !by.has(s.system))
  if (unconfirmed.length === 0) return { ...fix, systems: [...by.keys()].sort() }
  const why = unconfirmed
    .map(
      s =>
        `${s.system}: ${s.state === 'missing' ? s.reason : s.state === 'failed' ? 'its build failed' : 'its build took the old hash as right'}`
    )
    .join('; ')
  return {
    kind: 'not-verified',
    derivation: fix.name,
    message: `${where}: ${fix.new} was verified on ${[...by.keys()].join(', ')} only (${why}); not kept until every system agrees.`
  }
}
