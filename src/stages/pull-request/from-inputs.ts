// The fix pull request as the action's inputs ask for it, in its log group: the one call the
// single-job pipeline and the matrix's aggregate job share.
import type { Inputs } from '../../inputs.js'
import type { GitHubTarget } from '../../github/context.js'
import type { Reporter } from '../../report/reporter.js'
import type { FixHashesResult } from '../fix-hashes/types.js'
import { runPullRequestStage } from './pull-request-stage.js'
import type { PullRequestStageResult } from './types.js'

export function deliverFixes(
  inputs: Inputs,
  github: GitHubTarget,
  hashes: FixHashesResult,
  buildOk: boolean,
  repoDir: string,
  reporter: Reporter
): Promise<PullRequestStageResult> {
  return reporter.group('Fix pull request', () =>
    runPullRequestStage({
      mode: inputs.fixHashes as 'pull-request' | 'commit',
      hashes,
      buildOk,
      repoDir,
      octokit: github.octokit,
      context: github.context,
      defaultToken: github.defaultToken,
      labels: inputs.pullRequestLabels,
      flake: inputs.flake,
      package: inputs.package,
      systems: inputs.systems,
      reporter
    })
  )
}
