// Untrusted code must never be built while the job holds a write token. Two ways it happens:
// - `pull_request_target` runs with the base repository's token and secrets, so building a fork's
//   pull request there hands both to whoever opened it;
// - `workflow_run` and `issue_comment` also run with the base repository's token, and their
//   trusted commit is the default branch's (GITHUB_SHA); a job that checks out a pull request's
//   code instead is building someone else's code with that token.
// Both are checked before the build starts, and both fail closed: a pull request whose head
// repository is unknown counts as a fork (see context.ts).
import { headCommit } from '../git/git.js'
import type { RunContext } from './context.js'

/** Events whose token can write to the base repository and whose GITHUB_SHA is the trusted commit. */
export const TRUSTED_COMMIT_EVENTS = ['workflow_run', 'issue_comment'] as const

/** A message explaining the refusal, or undefined when the event is safe to build with this token. */
export function refuseUnsafeEvent(context: Pick<RunContext, 'eventName' | 'pullRequest' | 'owner' | 'repo'>): string | undefined {
  const pr = context.pullRequest
  if (context.eventName !== 'pull_request_target' || !pr?.isFork) return undefined
  const from = pr.headRepo
    ? `the fork ${pr.headRepo}`
    : 'a repository GitHub no longer knows (a deleted fork), so nix-ci treats it as a fork,'
  return (
    `Refusing to build pull request #${pr.number} from ${from} under 'pull_request_target': that event runs with ` +
    `${context.owner}/${context.repo}'s write token and secrets, and building the fork's flake would run its code with them. ` +
    "Use two workflows instead: one on 'pull_request' with 'permissions: contents: read' and 'fix-hashes: report' that uploads the " +
    "'hash-mismatches' output as an artifact, and one on 'workflow_run' with 'pull-requests: write' that reads that artifact as data " +
    '(never checking out or building the fork) and comments the fix. nix-ci documents this pattern in ' +
    '.github/workflows/fix-hashes.yml and .github/workflows/fix-hashes-apply.yml.'
  )
}

/**
 * Refuses write modes (`writeModes`, e.g. `fix-hashes: pull-request`, `release: tag`) on a
 * `workflow_run` or `issue_comment` job whose checkout is not the event's trusted commit:
 * `checkedOut` is `git rev-parse HEAD` of the flake's repository, undefined when it is not a git
 * checkout (nothing was checked out that could differ).
 */
export function refuseUntrustedCheckout(
  context: Pick<RunContext, 'eventName' | 'sha'>,
  checkedOut: string | undefined,
  writeModes: string[]
): string | undefined {
  if (!(TRUSTED_COMMIT_EVENTS as readonly string[]).includes(context.eventName)) return undefined
  if (writeModes.length === 0 || checkedOut === undefined || checkedOut === context.sha) return undefined
  const modes = writeModes.map(m => `'${m}'`).join(' and ')
  return (
    `Refusing ${modes} on this '${context.eventName}' job: it checked out ${checkedOut.slice(0, 12)}, not the event's trusted commit ` +
    `${context.sha.slice(0, 12) || '(GITHUB_SHA is unset)'}. A '${context.eventName}' job holds the base repository's token, and checked-out ` +
    "pull request code is not trusted with it. Either build that code with 'fix-hashes: report' and 'release: off' (nix-ci then writes nothing), " +
    `or check out the trusted commit (actions/checkout without 'ref:'). To deliver a fix from a pull request's run, read its 'hash-mismatches' ` +
    'artifact as data, as .github/workflows/fix-hashes-apply.yml does.'
  )
}

/** The commit checked out in `dir`, or undefined when `dir` is not inside a git work tree. */
export async function checkedOutCommit(dir: string): Promise<string | undefined> {
  try {
    return await headCommit(dir)
  } catch {
    return undefined
  }
}

/** The inputs that make nix-ci write to the repository, as `input: value` (for the refusal message). */
export function writeModesOf(inputs: { fixHashes: string; release: string }): string[] {
  const modes: string[] = []
  if (inputs.fixHashes === 'pull-request' || inputs.fixHashes === 'commit') modes.push(`fix-hashes: ${inputs.fixHashes}`)
  if (inputs.release === 'tag') modes.push('release: tag')
  return modes
}

/** Both checks, as main.ts runs them before the build; `checkoutDir` is the flake's repository. */
export async function refuseBeforeBuild(context: RunContext, writeModes: string[], checkoutDir: string): Promise<string | undefined> {
  return refuseUnsafeEvent(context) ?? refuseUntrustedCheckout(context, await checkedOutCommit(checkoutDir), writeModes)
}
