// What one matrix job hands on: its system's build result, the fixed-output derivations its
// package needs, and the stale hashes it found with the fix verified by building on that system.
// Read back by the aggregate job as data from another job: every field is checked.
import { errorMessage } from '../../errors.js'
import type { BuildStageResult } from '../build/types.js'
import type { FixHashesResult } from '../fix-hashes/types.js'
import type { HashFix, HashProblem } from '../fix-hashes/types.js'

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
      error: s?.error ?? (s ? null : `The job built no ${system}: its 'systems' input does not name it.`)
    },
    fixedOutputs: [...new Set((result.build?.fixedOutputs ?? []).filter(f => f.neededBy.includes(system)).map(f => f.name))].sort(),
    hashes: result.hashes
      ? { status: result.hashes.status, fixes: result.hashes.fixes, problems: result.hashes.problems }
      : { status: 'off', fixes: [], problems: [] }
  }
}

export class SystemResultError extends Error {}

const isString = (v: unknown): v is string => typeof v === 'string'

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
  if (r.system !== expectedSystem) throw new SystemResultError(`it is the result of ${String(r.system)}, not of ${expectedSystem}`)
  const b = r.build as Partial<SystemBuildSummary> | undefined
  if (
    !b ||
    !['built', 'failed', 'cancelled', 'not-built'].includes(String(b.status)) ||
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
  }
  if (!Array.isArray(r.fixedOutputs) || !r.fixedOutputs.every(isString)) throw new SystemResultError('its fixed-output list is malformed')
  return r as SystemResultFile
}
