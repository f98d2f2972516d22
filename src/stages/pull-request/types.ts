// What the pull-request stage takes and gives back. It runs after fix-hashes and turns its verified
// fixes into one commit made through GitHub's Git Data API (so GitHub signs it), on nix-ci's own
// branch with a pull request, or onto the pull request that was built.
import type { GitHubClient } from '../../github/client.js'
import type { RunContext } from '../../github/context.js'
import type { StageEnv } from '../stage.js'
import type { FixHashesResult } from '../fix-hashes/types.js'

/** `pull-request`: a branch `nix-ci/fix-hashes/<base>` and a PR; `commit`: onto the PR being built. */
export type PullRequestMode = 'pull-request' | 'commit'

/** The `pull-request-operation` output. */
export type PullRequestOperation = 'created' | 'updated' | 'closed' | 'none'

export const DEFAULT_PULL_REQUEST_LABELS = ['dependencies', 'nix']

/** The PR stage speaks to git and GitHub only: the stage environment without Nix. */
export interface PullRequestStageOptions extends Omit<StageEnv, 'nix'> {
  mode: PullRequestMode
  hashes: FixHashesResult
  /**
   * Whether every system built in this run. A failed build may have stopped before a stale hash
   * showed, so its "clean" hash result never closes a fix PR.
   */
  buildOk: boolean
  /** The checkout fix-hashes worked in: the verified fix's bytes are read from here. */
  repoDir: string
  octokit: GitHubClient
  context: RunContext
  /**
   * Whether `github-token` is the workflow's default GITHUB_TOKEN (its pushes and PRs start no
   * workflow runs). Undefined: inferred from the identity GitHub gives the commit it creates.
   */
  defaultToken?: boolean
  /** Labels for the fix PR (default: dependencies, nix). */
  labels?: string[]
  /** For the PR body's "reproduce locally" commands. */
  flake: string
  package: string
  systems: string[]
}

export interface PullRequestStageResult {
  /** false when the fix could not be delivered (refused or failed); the message says why. */
  ok: boolean
  /** done: delivered or already there; skipped: nothing to do; refused: unsafe or impossible; failed: GitHub said no. */
  status: 'done' | 'skipped' | 'refused' | 'failed'
  operation: PullRequestOperation
  number?: number
  url?: string
  branch?: string
  /** The fix commit on the branch, when there is one. */
  commitSha?: string
  /** What happened, in one or two sentences (also logged). */
  message: string
  failures: string[]
}
