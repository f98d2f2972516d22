// The refusals users of a PR bot meet, injected with GitHub's own answers: each failure comes back
// as a failed result (never a throw) whose message says what to change.
import { describe, expect, it } from '@jest/globals'
import { expectNoViolations, faults, type GitHubTestServer } from '../../support/github-server/index.js'
import type { TestRepo } from '../../support/hash-fixtures.js'
import {
  BASE_FILES,
  BRANCH,
  MIX_FIX,
  applyFixes,
  checkoutOf,
  openPull,
  owner,
  pushContext,
  repo,
  runStage,
  serverFiles,
  usePullRequestWorld
} from './world.js'

let github: GitHubTestServer
let checkout: TestRepo
let baseSha: string
const anotherGitHub = usePullRequestWorld(world => ({ github, checkout, baseSha } = world))

const store = () => github.store.repo(owner, repo)
const run = (extra: Parameters<typeof runStage>[1] extends infer O ? Partial<O> : never = {}) =>
  runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha), ...extra })

describe('GitHub says no', () => {
  it('"GitHub Actions is not permitted to create or approve pull requests": names the setting, and links the pushed branch', async () => {
    github.inject({ operation: 'pulls/create', ...faults.actionsCannotCreatePullRequests() })
    const { result, outputs, reporter } = await run()
    expect(result).toMatchObject({ ok: false, status: 'failed', operation: 'none' })
    expect(result.message).toMatch(
      /Allow GitHub Actions to create and approve pull requests.*Settings → Actions → General → Workflow permissions/
    )
    expect(result.message).toMatch(/organisation/)
    expect(result.message).toMatch(/'github-token'/)
    expect(result.message).toContain(`https://github.com/acme/mast/compare/main...${BRANCH}?expand=1`)
    expect(outputs).toEqual({ 'pull-request-operation': 'none' })
    expect(reporter.text()).toMatch(/error: GitHub refused to open the fix pull request/)
    // The branch is there; the next run (after the setting changes) opens the PR without a new commit.
    const head = store().refs.get(`refs/heads/${BRANCH}`)
    expect(head).toBeDefined()
    const again = await run()
    expect(again.result).toMatchObject({ ok: true, operation: 'created' })
    expect(store().refs.get(`refs/heads/${BRANCH}`)).toBe(head)
  })

  it('a token without contents: write gets the permissions block to add', async () => {
    github.inject({ operation: 'git/create-blob', ...faults.notAccessibleByIntegration() })
    const { result } = await run()
    expect(result).toMatchObject({ ok: false, status: 'failed' })
    expect(result.message).toMatch(/the workflow token lacks a permission \(Resource not accessible by integration\)/)
    expect(result.message).toContain('permissions:\n  contents: write\n  pull-requests: write')
  })

  it('a token without pull-requests: write gets the same block when opening the PR', async () => {
    github.inject({ operation: 'pulls/create', ...faults.notAccessibleByIntegration() })
    const { result } = await run()
    expect(result.message).toMatch(
      /GitHub refused to open the fix pull request from nix-ci\/fix-hashes\/main in acme\/mast.*pull-requests: write/s
    )
  })

  it('branch protection refusing the push onto a pull request: says which branch and what to exempt', async () => {
    const main = store().refs.get('refs/heads/main') as string
    store().refs.set('refs/heads/deps', main)
    github.store.pushChange(owner, repo, 'deps', { 'mix.lock': 'bumped\n' })
    const pr = openPull(github, { head: 'deps', user: 'renovate[bot]' })
    github.inject({ operation: 'git/update-ref', ...faults.protectedBranch('deps') })
    const local = checkoutOf({ ...BASE_FILES(), 'mix.lock': { content: 'bumped\n' } })
    try {
      const { result } = await runStage(github, {
        mode: 'commit',
        hashes: applyFixes(local, [MIX_FIX]),
        repoDir: local.dir,
        context: pushContext('0'.repeat(40), {
          eventName: 'pull_request',
          pullRequest: {
            number: pr.number,
            headRef: 'deps',
            headSha: pr.headSha,
            headRepo: 'acme/mast',
            baseRef: 'main',
            baseSha: pr.baseSha,
            isFork: false,
            author: 'renovate[bot]'
          }
        })
      })
      expect(result).toMatchObject({ ok: false, status: 'failed' })
      expect(result.message).toMatch(
        /Branch protection or a repository ruleset refused to let nix-ci push the fix onto deps.*Protected branch update failed for refs\/heads\/deps.*Exempt the branch deps/s
      )
    } finally {
      local.cleanup()
    }
  })

  it('a ruleset (GH013) refusing the fix branch', async () => {
    github.inject({ operation: 'git/create-ref', ...faults.ruleViolationOnCreate() })
    const { result } = await run()
    expect(result.message).toMatch(/repository ruleset refused to let nix-ci create the branch nix-ci\/fix-hashes\/main.*nix-ci\/\*\*/s)
  })

  it('a 422 validation error lists what GitHub objected to', async () => {
    github.inject({
      operation: 'pulls/create',
      ...faults.validationFailed([{ resource: 'PullRequest', code: 'custom', message: 'The title is too long' }])
    })
    const { result } = await run()
    expect(result.message).toMatch(
      /GitHub answered 422 while trying to open the fix pull request .*: Validation Failed \(The title is too long\)/
    )
  })

  it('rides out a secondary rate limit, and fails clearly when it persists', async () => {
    github.inject({ operation: 'pulls/create', ...faults.secondaryRateLimit(0) })
    expect((await run()).result).toMatchObject({ ok: true, operation: 'created' })

    await github.stop()
    expectNoViolations(github)
    github = await anotherGitHub()
    baseSha = github.seedRepo({ owner, repo, files: serverFiles(BASE_FILES()) }).headSha
    github.inject({ operation: 'git/create-tree', ...faults.secondaryRateLimit(0), times: 5 })
    const { result } = await run()
    expect(result).toMatchObject({ ok: false, status: 'failed' })
    expect(result.message).toMatch(/GitHub kept rate-limiting nix-ci while trying to upload the fixed files.*re-run the job later/)
  })

  it('retries a dropped connection a bounded number of times, then says GitHub could not be reached', async () => {
    github.inject({ operation: 'git/get-ref', ...faults.DROP_CONNECTION, times: 10 })
    const { result } = await run()
    expect(result).toMatchObject({ ok: false, status: 'failed' })
    expect(result.message).toMatch(
      /Could not reach GitHub to read the branch nix-ci\/fix-hashes\/main.*check the runner can reach the GitHub API/s
    )
    const attempts = github.callsTo('git/get-ref').length
    expect(attempts).toBeGreaterThan(1)
    expect(attempts).toBeLessThanOrEqual(4)
  })

  it('recovers from one dropped connection without the user noticing', async () => {
    github.inject({ operation: 'pulls/list', ...faults.DROP_CONNECTION })
    expect((await run()).result).toMatchObject({ ok: true, operation: 'created' })
  })

  it('never throws, even when the work tree is not a git checkout', async () => {
    const { result } = await run({ repoDir: '/nonexistent/nix-ci-work-tree' })
    expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none' })
    expect(result.message).toMatch(/nix-ci needs the git checkout fix-hashes worked in/)
  })
})
