// GitHub's refusals that users of a PR bot meet, each turned into what to change. Anything not
// specific to pull requests falls through to the shared explainGitHubError (permissions, rate
// limits, network, 5xx, validation errors).
import { explainGitHubError, isRequestError, oneLine } from '../../github/client.js'
import { messageOf } from './github-git.js'

export interface PullRequestErrorContext {
  action: string
  owner: string
  repo: string
  serverUrl: string
  /** The branch a ref update was for. */
  branch?: string
  /** With branch: a compare link to open the PR by hand when only creating the PR failed. */
  base?: string
  /** Working on a pull request from a fork. */
  fork?: boolean
}

const PERMISSIONS = { contents: 'write', 'pull-requests': 'write' } as const

export function explainPullRequestError(error: unknown, context: PullRequestErrorContext): string {
  const where = `${context.owner}/${context.repo}`
  const text = isRequestError(error) ? messageOf(error) : ''
  if (isRequestError(error) && error.status === 403 && /not permitted to create or approve pull requests/i.test(text)) {
    const manual =
      context.branch && context.base
        ? ` The fix is already on the branch ${context.branch}; to open the pull request by hand: ${context.serverUrl}/${where}/compare/${context.base}...${context.branch}?expand=1`
        : ''
    return (
      `GitHub refused to ${context.action} in ${where}: "GitHub Actions is not permitted to create or approve pull requests". ` +
      'Turn on "Allow GitHub Actions to create and approve pull requests" in the repository\'s Settings → Actions → General → Workflow permissions ' +
      "(in an organisation, first in the organisation's Actions settings, which can lock it off), or pass a GitHub App token or a fine-grained " +
      `personal access token with contents and pull requests write access as 'github-token'.${manual}`
    )
  }
  if (context.fork && isRequestError(error) && error.status === 403 && /not accessible by integration/i.test(text)) {
    return (
      `GitHub refused to ${context.action} in ${where} (${oneLine(text)}): a workflow run for a pull request from a fork gets a read-only token, ` +
      "whatever its 'permissions:' say. Run fix-hashes with 'fix-hashes: report' on such pull requests and let a separate 'workflow_run' workflow " +
      'post the fix without checking out the fork (the pattern in .github/workflows/fix-hashes.yml and fix-hashes-apply.yml).'
    )
  }
  if (
    isRequestError(error) &&
    (error.status === 422 || error.status === 403) &&
    /GH006|GH013|protected branch|rule violations?|changes must be made through a pull request|protected ref/i.test(text)
  ) {
    const branch = context.branch ? `the branch ${context.branch}` : 'this branch'
    return (
      `Branch protection or a repository ruleset refused to let nix-ci ${context.action} in ${where}: ${oneLine(text)}. ` +
      `Exempt ${branch} from the rule (for nix-ci's own branches, a ruleset that targets only your release branches and not nix-ci/**), ` +
      "or allow the token's identity to bypass it (GitHub Actions, or the GitHub App whose token you pass as 'github-token')."
    )
  }
  return explainGitHubError(error, { action: context.action, owner: context.owner, repo: context.repo, permissions: { ...PERMISSIONS } })
}
