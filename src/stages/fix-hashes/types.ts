import type { HashOccurrence } from '../../hashes/locate.js'
import type { StageOutcome } from '../stage.js'

/** A fixed-output derivation Nix itself reported with a wrong hash. */
export interface StaleFod {
  drvPath: string
  name: string
  system: string
  /** As Nix printed it (SRI since 2.4). */
  specified: string
  got: string
  /** Found by re-checking an output that was already in the store (no build error showed it). */
  silent: boolean
}

/** A verified fix: the hash in the repository, and what it is now. */
export interface HashFix {
  derivation: string
  name: string
  file: string
  line: number
  column: number
  old: string
  new: string
  /** Systems whose build passed with the fix. */
  systems: string[]
  silent: boolean
}

export type HashProblemKind =
  'not-found' | 'ambiguous' | 'platform-conflict' | 'nondeterministic' | 'not-converged' | 'not-verified' | 'other-hash-error'

/** Something the stage would not fix by itself, with what the user should do. */
export interface HashProblem {
  kind: HashProblemKind
  derivation?: string
  message: string
  candidates?: HashOccurrence[]
}

export interface FixHashesResult extends StageOutcome {
  /** clean: no stale hash; fixed: all verified; partial: some fixed, some problems; failed: none fixed. */
  status: 'clean' | 'fixed' | 'partial' | 'failed'
  fixes: HashFix[]
  problems: HashProblem[]
  /** Files changed in the work tree (none in report mode). */
  writtenFiles: string[]
  rounds: number
  /** Fixed-output derivations re-checked because a stale output could have hidden in the store. */
  rechecked: string[]
  nixVersion: string
}
