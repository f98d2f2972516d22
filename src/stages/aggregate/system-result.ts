// What one matrix job hands on: its system's build result, the fixed-output derivations its
// package needs, and the stale hashes it found with the fix verified by building on that system.
// Read back by the aggregate job as data from another job: every field is checked
// (artifact-checks.ts: no control characters, a hash fix is a hash for a hash).
import { errorMessage } from '../../errors.js'
import type { BuildStageResult } from '../build/types.js'
import type { FixHashesResult } from '../fix-hashes/types.js'
import type { HashFix, HashProblem } from '../fix-hashes/types.js'
import { controlCharacterAt, hashFixProblem, proseForArtifact } from './artifact-checks.js'

export const RESULT_FORMAT = 'nix-ci/system-result@1'

export interface SystemBuildSummary {
  status: 'built' | 'failed' | 'cancelled' | 'not-built'
  mode: string
  builtOn: string | null
  outPaths: string[]
  durationMs: number | null
  closureSize: number | null
  error: string | null
}

export interface SystemResultFile {
  format: typeof RESULT_FORMAT
  system: string
  /** The commit the job built. */
  commit: string | null
  nixVersion: string
  build: SystemBuildSummary
  /** Names of the fixed-output derivations this system's package needs. */
  fixedOutputs: string[]
  hashes: { status: 'clean' | 'fixed' | 'partial' | 'failed' | 'off'; fixes: HashFix[]; problems: HashProblem[] }
}

export function systemResultOf(
  system: string,
  result: { build?: BuildStageResult; hashes?: FixHashesResult },
  commit: string | undefined
): SystemResultFile {
  const s = result.build?.systems.find(x => x.system === system)
  return {
    format: RESULT_FORMAT,
    system,
    commit: commit ?? null,
    nixVersion: result.build?.nixVersion ?? 'unknown',
    build: {
      status: s?.status ?? 'not-built',
      mode: s?.mode ?? 'native',
      builtOn: s?.builtOn ?? null,
      outPaths: s?.outPaths ?? [],
      durationMs: s?.durationMs ?? null,
      closureSize: s?.closureSize ?? null,
      error: s?.error != null ? proseForArtifact(s.error) : s ? null : `The job built no ${system}: its 'systems' input does not name it.`
    },
    fixedOutputs: [...new Set((result.build?.fixedOutputs ?? []).filter(f => f.neededBy.includes(system)).map(f => f.name))].sort(),
    hashes: result.hashes
      ? {
          status: result.hashes.status,
          fixes: result.hashes.fixes,
          problems: result.hashes.problems.map(p => ({ ...p, message: proseForArtifact(p.message) }))
        }
      : { status: 'off', fixes: [], problems: [] }
  }
}

export class SystemResultError extends Error {}

const isString = (v: unknown): v is string => typeof v === 'string'
const isStringOrNull = (v: unknown): boolean => v === null || isString(v)
const isNumberOrNull = (v: unknown): boolean => v === null || typeof v === 'number'
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/

/** Parses an artifact's file; a wrong shape or another system's file is an error naming what is wrong. */
export function readSystemResult(text: string, expectedSystem: string): SystemResultFile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new SystemResultError(`not JSON (${errorMessage(error)})`)
  }
  const r = raw as Partial<SystemResultFile>
  if (typeof raw !== 'object' || raw === null || r.format !== RESULT_FORMAT)
    throw new SystemResultError(`not a ${RESULT_FORMAT} file (a matrix job of another nix-ci version?)`)
  // Before any of its text is quoted, here or in the log.
  const control = controlCharacterAt(raw)
  if (control !== undefined) throw new SystemResultError(`${control} holds a control character`)
  if (r.system !== expectedSystem) throw new SystemResultError(`it is the result of ${JSON.stringify(r.system)}, not of ${expectedSystem}`)
  if (!(r.commit === null || (isString(r.commit) && COMMIT.test(r.commit)))) throw new SystemResultError('its commit is not a commit name')
  if (!isString(r.nixVersion)) throw new SystemResultError('its Nix version is malformed')
  const b = r.build as Partial<SystemBuildSummary> | undefined
  if (
    !b ||
    !['built', 'failed', 'cancelled', 'not-built'].includes(String(b.status)) ||
    !isString(b.mode) ||
    !isStringOrNull(b.builtOn) ||
    !isStringOrNull(b.error) ||
    !isNumberOrNull(b.durationMs) ||
    !isNumberOrNull(b.closureSize) ||
    !Array.isArray(b.outPaths) ||
    !b.outPaths.every(isString)
  )
    throw new SystemResultError('its build result is malformed')
  const h = r.hashes
  if (!h || !Array.isArray(h.fixes) || !Array.isArray(h.problems)) throw new SystemResultError('its hash findings are malformed')
  for (const f of h.fixes) {
    if (
      !isString(f.file) ||
      !isString(f.old) ||
      !isString(f.new) ||
      !isString(f.name) ||
      !Number.isInteger(f.line) ||
      !Number.isInteger(f.column)
    )
      throw new SystemResultError('a hash fix is malformed')
    const problem = hashFixProblem(f)
    if (problem !== undefined) throw new SystemResultError(`the hash fix at ${JSON.stringify(f.file)}:${f.line} is refused: ${problem}`)
  }
  if (!h.problems.every(p => typeof p === 'object' && p !== null && isString(p.message) && isString(p.kind)))
    throw new SystemResultError('its hash problems are malformed')
  if (!Array.isArray(r.fixedOutputs) || !r.fixedOutputs.every(isString)) throw new SystemResultError('its fixed-output list is malformed')
  return r as SystemResultFile
}
