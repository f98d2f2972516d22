// What every stage shares: the environment it runs in, and the shape of its outcome.
//
// One rule for reporting: a stage reports for itself (its log groups, annotations, job summary
// and outputs). The pipeline only sequences the stages and gathers their failures.
import type { NixRunner } from '../nix/runner.js'
import type { Reporter } from '../report/reporter.js'

export interface StageEnv {
  nix: NixRunner
  reporter: Reporter
  /** The workspace: relative flake references resolve here (the process's own when unset). */
  cwd?: string
  /** Cancellation (SIGINT/SIGTERM, the job being cancelled): Nix is stopped, and the stage ends. */
  signal?: AbortSignal
}

/** Every stage's result has these two fields, beside its own typed payload. */
export interface StageOutcome {
  /** false when this stage makes the run fail. */
  ok: boolean
  /** Why the stage failed, in words that say what to do: one entry per problem, empty when ok. */
  failures: string[]
}

/** The environment alone, out of a stage's options (to hand on to the stage it calls). */
export function stageEnv(options: StageEnv): StageEnv {
  return {
    nix: options.nix,
    reporter: options.reporter,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.signal ? { signal: options.signal } : {})
  }
}
