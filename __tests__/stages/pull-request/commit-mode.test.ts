// `fix-hashes: commit`: the verified fix pushed onto a same-repository pull request (only forward,
// never over someone's push), or offered as one-click suggestions on a fork's pull request; and the
// refusal to build a fork's code under pull_request_target.
import { describe, expect, it } from '@jest/globals'
import type { RunContext } from '../../../src/github/context.js'
import { refuseUnsafeEvent } from '../../../src/stages/pull-request/pull-request-stage.js'
import { trailer } from '../../../src/stages/pull-request/ownership.js'
import { type GitHubTestServer } from '../../support/github-server/index.js'
import type { GitObject, PullRequest } from '../../support/github-server/store.js'
import { useCleanup } from '../../support/cleanup.js'
import type { TestRepo } from '../../support/hash-fixtures.js'
import { useGitHubServer } from '../../support/github-world.js'
import {
  BASE_FILES,
  MIX_FIX,
  NEW,
  NPM_FIX,
  OLD,
  applyFixes,
  checkoutOf,
  flakeNix,
  openPull,
  owner,
  pushContext,
  repo,
  runStage,
  serverFiles
} from './world.js'

const LOCK_BUMP = '%{"plug": {:hex, :plug, "1.16.2"}}\n'
const DEP_BRANCH = 'dependabot/hex/plug-1.16.2'
let github: GitHubTestServer
const track = useCleanup()
useGitHubServer(server => {
  github = server
  github.seedRepo({ owner, repo, files: serverFiles(BASE_FILES()) })
})

const store = () => github.store.repo(owner, repo)
const commitAt = (sha: string | undefined) => github.store.object(store(), sha ?? '') as Extract<GitObject, { type: 'commit' }>

/** The pull request's head, as the checkout of `ref: head.ref` holds it (mix.lock bumped, hash stale). */
function headCheckout(): TestRepo {
  const checkout = checkoutOf({ ...BASE_FILES(), 'mix.lock': { content: LOCK_BUMP } })
  track(checkout)
  return checkout
}

function botPull(user = 'dependabot[bot]'): PullRequest {
  const main = store().refs.get('refs/heads/main') as string
  store().refs.set(`refs/heads/${DEP_BRANCH}`, main)
  github.store.pushChange(
    owner,
    repo,
    DEP_BRANCH,
    { 'mix.lock': LOCK_BUMP },
    {
      message: 'Bump plug from 1.16.1 to 1.16.2',
      author: { name: 'dependabot[bot]', email: 'support@github.com', date: '2025-01-01T00:00:00Z' }
    }
  )
  return openPull(github, { head: DEP_BRANCH, user })
}

function prContext(pr: PullRequest, overrides: Partial<RunContext> = {}): RunContext {
  return pushContext('0'.repeat(40), {
    eventName: 'pull_request',
    ref: `refs/pull/${pr.number}/merge`,
    pullRequest: {
      number: pr.number,
      headRef: pr.headRef,
      headSha: pr.headSha,
      headRepo: pr.headRepo,
      baseRef: pr.baseRef,
      baseSha: pr.baseSha,
      isFork: pr.headRepo !== `${owner}/${repo}`,
      author: pr.user
    },
    ...overrides
  })
}

describe('commit mode on a same-repository pull request', () => {
  it("pushes one verified commit on top of the PR's head, with [dependabot skip] for Dependabot, and says why", async () => {
    const pr = botPull()
    const built = pr.headSha
    const checkout = headCheckout()
    const { result, outputs } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: prContext(pr)
    })

    expect(result).toMatchObject({ ok: true, status: 'done', operation: 'updated', number: pr.number, branch: DEP_BRANCH })
    expect(outputs).toEqual({
      'pull-request-operation': 'updated',
      'pull-request-number': String(pr.number),
      'pull-request-url': `https://github.com/acme/mast/pull/${pr.number}`
    })
    const head = store().refs.get(`refs/heads/${DEP_BRANCH}`)
    expect(head).toBe(result.commitSha)
    const commit = commitAt(head)
    expect(commit.parents).toEqual([built])
    expect(commit.message).toContain('[dependabot skip]')
    expect(trailer(commit.message, 'Nix-CI-Tree')).toBe(commit.tree)
    const files = github.store.flattenTree(store(), commit.tree)
    const blob = github.store.object(store(), files.get('flake.nix')!.sha) as Extract<GitObject, { type: 'blob' }>
    expect(blob.content.toString()).toBe(flakeNix(NEW))
    expect((github.store.object(store(), files.get('mix.lock')!.sha) as Extract<GitObject, { type: 'blob' }>).content.toString()).toBe(
      LOCK_BUMP
    )
    // Only forward: the ref update was not forced.
    expect(github.callsTo('git/update-ref')[0]).toMatchObject({ status: 200 })
    const comments = store().issueComments
    expect(comments).toHaveLength(1)
    expect(comments[0].body).toMatch(/^<!-- nix-ci:fix-hashes:commit -->/)
    expect(comments[0].body).toMatch(/`\[dependabot skip\]` so Dependabot keeps rebasing/)
    expect(comments[0].body).toMatch(/default `GITHUB_TOKEN`/)
  })

  it('leaves [dependabot skip] out for other authors and tells Renovate users about gitIgnoredAuthors', async () => {
    const pr = botPull('renovate[bot]')
    const checkout = headCheckout()
    await runStage(github, { mode: 'commit', hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: prContext(pr) })
    expect(commitAt(store().refs.get(`refs/heads/${DEP_BRANCH}`)).message).not.toContain('dependabot')
    expect(store().issueComments[0].body).toMatch(/gitIgnoredAuthors/)
  })

  it('a rerun of the same run finds its own commit and pushes nothing', async () => {
    const pr = botPull()
    const checkout = headCheckout()
    const context = prContext(pr)
    const hashes = applyFixes(checkout, [MIX_FIX])
    await runStage(github, { mode: 'commit', hashes, repoDir: checkout.dir, context })
    const head = store().refs.get(`refs/heads/${DEP_BRANCH}`)
    const again = await runStage(github, { mode: 'commit', hashes, repoDir: checkout.dir, context })
    expect(again.result).toMatchObject({ ok: true, operation: 'none', commitSha: head })
    expect(store().refs.get(`refs/heads/${DEP_BRANCH}`)).toBe(head)
    expect(github.callsTo('git/create-commit')).toHaveLength(1)
    expect(store().issueComments).toHaveLength(1)
  })

  it('refuses, losing nothing, when the branch moved on after the build', async () => {
    const pr = botPull()
    const checkout = headCheckout()
    const context = prContext(pr)
    const built = pr.headSha
    const pushed = github.store.pushChange(owner, repo, DEP_BRANCH, { 'README.md': 'a colleague was here\n' })
    const { result, outputs } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context
    })
    expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none' })
    expect(result.message).toMatch(
      new RegExp(`moved from ${built.slice(0, 12)} .* to ${pushed.slice(0, 12)} meanwhile, so nix-ci pushed nothing`)
    )
    expect(outputs['pull-request-operation']).toBe('none')
    expect(store().refs.get(`refs/heads/${DEP_BRANCH}`)).toBe(pushed)
    expect(github.callsTo('git/create-commit')).toHaveLength(0)
  })

  it('refuses, losing nothing, when a push lands between its check and its update', async () => {
    const pr = botPull()
    const checkout = headCheckout()
    let pushed = ''
    github.beforeNext('git/update-ref', () => {
      pushed = github.store.pushChange(owner, repo, DEP_BRANCH, { 'README.md': 'just in time\n' })
    })
    const { result } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: prContext(pr)
    })
    expect(result.status).toBe('refused')
    expect(result.message).toMatch(new RegExp(`to ${pushed.slice(0, 12)} meanwhile`))
    expect(github.callsTo('git/update-ref')[0].status).toBe(422)
    expect(store().refs.get(`refs/heads/${DEP_BRANCH}`)).toBe(pushed)
  })

  it('refuses on a push event: there is no pull request to commit onto', async () => {
    const checkout = headCheckout()
    const main = store().refs.get('refs/heads/main') as string
    const { result } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: pushContext(main)
    })
    expect(result.status).toBe('refused')
    expect(result.message).toMatch(/'push' event with no pull request.*'fix-hashes: pull-request'/)
  })
})

describe('commit mode on a pull request from a fork', () => {
  /** contrib/mast changed the version and the hash line (wrongly), so line 6 of flake.nix is in the diff. */
  function forkPull(): { pr: PullRequest; checkout: TestRepo } {
    const files = { ...BASE_FILES(), 'flake.nix': { content: flakeNix(OLD, '0.2.0') } }
    github.seedRepo({ owner: 'contrib', repo, files: serverFiles(files), forkOf: `${owner}/${repo}` })
    const pr = openPull(github, { head: 'main', headRepo: `contrib/${repo}`, user: 'contrib' })
    const checkout = checkoutOf(files)
    track(checkout)
    return { pr, checkout }
  }

  it('suggests the corrected line where the diff shows it, a diff comment elsewhere, and nothing twice', async () => {
    const { pr, checkout } = forkPull()
    // The fork's flake.nix change touches line 4 only; line 6 is within its context lines.
    const hashes = applyFixes(checkout, [MIX_FIX, NPM_FIX])
    const { result, outputs } = await runStage(github, { mode: 'commit', hashes, repoDir: checkout.dir, context: prContext(pr) })

    expect(result).toMatchObject({ ok: true, operation: 'updated', number: pr.number })
    expect(outputs['pull-request-number']).toBe(String(pr.number))
    expect(store().reviews).toHaveLength(1)
    expect(store().reviews[0]).toMatchObject({ state: 'COMMENTED', commitId: pr.headSha })
    const [suggestion] = store().reviewComments
    expect(suggestion).toMatchObject({ path: 'flake.nix', line: 6, side: 'RIGHT' })
    expect(suggestion.body).toContain(`\`\`\`suggestion\n        hash = "${NEW}";\n\`\`\``)
    expect(suggestion.body.startsWith('<!-- nix-ci:fix-hashes -->')).toBe(true)
    // nix/npm-deps.sh is not in the PR's diff: a review comment cannot sit there.
    expect(store().issueComments).toHaveLength(1)
    expect(store().issueComments[0].body).toContain(
      `-NPM_DEPS_HASH='${NPM_FIX.old}'\r\n+NPM_DEPS_HASH='${NPM_FIX.new}'`.replace(/\r\n/g, '\n')
    )
    // Nothing was pushed to the fork or the base.
    expect(github.callsTo('git/update-ref')).toHaveLength(0)
    expect(github.callsTo('git/create-commit')).toHaveLength(0)

    const again = await runStage(github, { mode: 'commit', hashes, repoDir: checkout.dir, context: prContext(pr) })
    expect(again.result).toMatchObject({ ok: true, operation: 'none' })
    expect(store().reviews).toHaveLength(1)
    expect(store().reviewComments).toHaveLength(1)
    expect(store().issueComments).toHaveLength(1)
  })

  it("explains the fork's read-only token instead of asking for permissions it cannot have", async () => {
    const { pr, checkout } = forkPull()
    const { faults } = await import('../../support/github-server/index.js')
    github.inject({ operation: 'pulls/create-review', ...faults.notAccessibleByIntegration() })
    const { result } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: prContext(pr)
    })
    expect(result).toMatchObject({ ok: false, status: 'failed' })
    expect(result.message).toMatch(/pull request from a fork gets a read-only token.*fix-hashes-apply\.yml/s)
  })
})

describe('pull_request_target with a fork', () => {
  const fork = {
    number: 7,
    headRef: 'main',
    headSha: 'a'.repeat(40),
    headRepo: 'mallory/mast',
    baseRef: 'main',
    baseSha: 'b'.repeat(40),
    isFork: true,
    author: 'mallory'
  }

  it('refuseUnsafeEvent refuses before any build, explaining the two-workflow pattern', () => {
    const message = refuseUnsafeEvent({ owner, repo, eventName: 'pull_request_target', pullRequest: fork })
    expect(message).toMatch(/Refusing to build pull request #7 from the fork mallory\/mast under 'pull_request_target'/)
    expect(message).toMatch(/'pull_request'.*contents: read.*'fix-hashes: report'.*'workflow_run'.*fix-hashes-apply\.yml/s)
    expect(refuseUnsafeEvent({ owner, repo, eventName: 'pull_request', pullRequest: fork })).toBeUndefined()
    expect(
      refuseUnsafeEvent({ owner, repo, eventName: 'pull_request_target', pullRequest: { ...fork, isFork: false, headRepo: 'acme/mast' } })
    ).toBeUndefined()
    expect(refuseUnsafeEvent({ owner, repo, eventName: 'push' })).toBeUndefined()
  })

  it('the stage refuses too, without a single call to GitHub', async () => {
    const checkout = headCheckout()
    const context = pushContext('c'.repeat(40), { eventName: 'pull_request_target', pullRequest: fork })
    const { result, outputs, reporter } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context
    })
    expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none' })
    expect(outputs).toEqual({ 'pull-request-operation': 'none' })
    expect(reporter.text()).toMatch(/error: Refusing to build pull request #7/)
    expect(github.calls).toHaveLength(0)
  })
})
