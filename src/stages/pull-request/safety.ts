// Untrusted code must never be built while the job holds a write token. `pull_request_target` runs
// with the base repository's token and secrets, so building a fork's pull request there hands both
// to whoever opened it. Checked before the build starts.
import type { RunContext } from '../../github/context.js'

/** A message explaining the refusal, or undefined when the event is safe to build with this token. */
export function refuseUnsafeEvent(context: Pick<RunContext, 'eventName' | 'pullRequest' | 'owner' | 'repo'>): string | undefined {
  const pr = context.pullRequest
  if (context.eventName !== 'pull_request_target' || !pr?.isFork) return undefined
  return (
    `Refusing to build pull request #${pr.number} from the fork ${pr.headRepo} under 'pull_request_target': that event runs with ` +
    `${context.owner}/${context.repo}'s write token and secrets, and building the fork's flake would run its code with them. ` +
    "Use two workflows instead: one on 'pull_request' with 'permissions: contents: read' and 'fix-hashes: report' that uploads the " +
    "'hash-mismatches' output as an artifact, and one on 'workflow_run' with 'pull-requests: write' that reads that artifact as data " +
    '(never checking out or building the fork) and comments the fix. nix-ci documents this pattern in ' +
    '.github/workflows/fix-hashes.yml and .github/workflows/fix-hashes-apply.yml.'
  )
}
