// Which runs may release. A tag and a GitHub release are public and hard to take back, and the
// workflow's `if:` or `release:` expression is the user's to get wrong: on a `pull_request` event
// GITHUB_SHA is the merge commit of someone's proposal, and tagging it publishes their code as ours.
// So the stage itself releases only from a push to the default branch, or to a branch the user
// named in `release-branches`, and refuses everything else, including what it does not know.

export interface ReleaseTrigger {
  /** GITHUB_EVENT_NAME, or `cli` for `nix-ci release` (the checked-out branch, pushed by hand). */
  eventName: string
  /** GITHUB_REF (`refs/heads/main`), or the CLI checkout's branch; '' when unknown. */
  ref: string
  /** The repository's default branch, from the event payload (or the API, for the CLI). */
  defaultBranch?: string
  /** The `release-branches` input: more branch names that may release. */
  releaseBranches: string[]
}

/** Events whose ref is a branch someone with write access pushed to. */
const PUSH_EVENTS = ['push', 'cli']

const ALLOW_HINT =
  "On other events set 'release: off', e.g. release: ${{ github.event_name == 'push' && 'tag' || 'off' }}, " +
  "and run the workflow on 'push' to the branch you release from."

/** Why this run must not release, or undefined when it may. */
export function releaseRefusal(trigger: ReleaseTrigger): string | undefined {
  const allowed = allowedBranches(trigger)
  const where = `a release is made only from a push to ${allowedText(trigger)}`
  if (!PUSH_EVENTS.includes(trigger.eventName)) {
    const event = trigger.eventName ? `a '${trigger.eventName}' event` : 'an unknown event (GITHUB_EVENT_NAME is unset)'
    return `Not releasing on ${event}${trigger.ref ? ` (${trigger.ref})` : ''}: ${where}. ${ALLOW_HINT}`
  }
  const branch = branchOf(trigger.ref)
  if (branch === undefined) {
    return (
      `Not releasing from ${trigger.ref ? `the ref '${trigger.ref}'` : 'an unknown ref (GITHUB_REF is unset)'}: ${where}, ` +
      `and this is not a branch. ${ALLOW_HINT}`
    )
  }
  if (allowed.includes(branch)) return undefined
  if (trigger.defaultBranch === undefined) {
    return (
      `Not releasing from the branch ${branch}: nix-ci does not know the repository's default branch (the event payload, or for ` +
      `the CLI the GitHub API, did not say), so it cannot tell whether this is it. Name the branches that may release in the input, ` +
      `e.g. 'release-branches: ${branch}' (--release-branches ${branch} for the CLI).`
    )
  }
  return (
    `Not releasing from the branch ${branch}: ${where}. ` +
    `To release from ${branch} too, add ${branch} to 'release-branches'; otherwise set 'release: off' for pushes to it.`
  )
}

function allowedBranches(trigger: ReleaseTrigger): string[] {
  return [...(trigger.defaultBranch ? [trigger.defaultBranch] : []), ...trigger.releaseBranches]
}

function allowedText(trigger: ReleaseTrigger): string {
  const def = trigger.defaultBranch ? `the default branch (${trigger.defaultBranch})` : 'the default branch'
  const named = trigger.releaseBranches.length ? ` (now: ${trigger.releaseBranches.join(', ')})` : ''
  return `${def} or to a branch named in 'release-branches'${named}`
}

/** `refs/heads/<name>` to `<name>`; anything else (a tag, a pull request's ref, '') is not a branch. */
function branchOf(ref: string): string | undefined {
  const prefix = 'refs/heads/'
  return ref.startsWith(prefix) && ref.length > prefix.length ? ref.slice(prefix.length) : undefined
}
