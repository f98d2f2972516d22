// The pull-request stage: delivers fix-hashes' verified fix through GitHub (a fix PR, or a commit
// onto the PR being built, or suggestions on a fork's PR) and reports it. It never throws: a fix
// that cannot be delivered comes back as a failed result with a message saying what to do, so the
// build result and its annotations still reach the user.
import { runCommitFlow } from './commit-flow.js'
import { runFixBranchFlow } from './fix-branch-flow.js'
import { refuseUnsafeEvent } from './safety.js'
import { notDelivered, openSession, Refusal, StepFailure } from './session.js'
import type { PullRequestStageOptions, PullRequestStageResult } from './types.js'
import { WorkTreeError } from './work-tree.js'

export { refuseUnsafeEvent } from './safety.js'
export {
  DEFAULT_PULL_REQUEST_LABELS,
  type PullRequestMode,
  type PullRequestOperation,
  type PullRequestStageOptions,
  type PullRequestStageResult
} from './types.js'

export async function runPullRequestStage(options: PullRequestStageOptions): Promise<PullRequestStageResult> {
  const session = openSession(options)
  let result: PullRequestStageResult
  try {
    const unsafe = refuseUnsafeEvent(options.context)
    if (unsafe) throw new Refusal(unsafe)
    result = options.mode === 'commit' ? await runCommitFlow(session) : await runFixBranchFlow(session)
  } catch (error) {
    if (error instanceof Refusal || error instanceof WorkTreeError) result = notDelivered(session, 'refused', error.message)
    else if (error instanceof StepFailure) result = notDelivered(session, 'failed', error.message)
    else
      result = notDelivered(
        session,
        'failed',
        `nix-ci could not deliver the fix (${error instanceof Error ? error.message : String(error)}): re-run the job; if it persists, report it with this log.`
      )
  }
  report(options, result)
  return result
}

function report(options: PullRequestStageOptions, result: PullRequestStageResult): void {
  const { reporter } = options
  reporter.setOutput('pull-request-operation', result.operation)
  if (result.number !== undefined) reporter.setOutput('pull-request-number', String(result.number))
  if (result.url !== undefined) reporter.setOutput('pull-request-url', result.url)
  const title = options.mode === 'commit' ? 'fix-hashes: fix not pushed' : 'fix-hashes: fix pull request'
  if (!result.ok) reporter.error(result.message, { title: result.status === 'refused' ? `${title} (refused)` : `${title} (failed)` })
  else if (result.operation === 'none' || result.status === 'skipped') reporter.info(result.message)
  else reporter.notice(result.message, { title })
  const link = result.number !== undefined && result.url ? ` [#${result.number}](${result.url})` : ''
  reporter.addSummary(
    `**Fix ${options.mode === 'commit' ? 'commit' : 'pull request'}:** ${result.ok ? result.operation : result.status}${link} — ${result.message.split('\n')[0]}`
  )
}
