// Fork detection fails closed (issue 14, finding 4): a pull request whose head repository GitHub no
// longer knows (a deleted fork: `head.repo: null`) or whose ids do not match is a fork; commit mode
// pushes only onto a branch of the base repository itself; and a `workflow_run` / `issue_comment`
// job that checked out something other than its trusted commit gets no write mode.
import { describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readRunContext, type RunContext } from '../../../src/github/context.js'
import {
  checkedOutCommit,
  refuseBeforeBuild,
  refuseUnsafeEvent,
  refuseUntrustedCheckout,
  writeModesOf
} from '../../../src/github/event-safety.js'
import { testClient, type GitHubTestServer } from '../../support/github-server/index.js'
import type { PullRequest } from '../../support/github-server/store.js'
import { useCleanup, useTempDirs } from '../../support/cleanup.js'
import type { TestRepo } from '../../support/hash-fixtures.js'
import { useGitHubServer } from '../../support/github-world.js'
import { BASE_FILES, MIX_FIX, OLD, applyFixes, checkoutOf, flakeNix, openPull, owner, repo, runStage, serverFiles } from './world.js'

let github: GitHubTestServer
let temp: string
const track = useCleanup()
const tempDir = useTempDirs(track)
useGitHubServer(server => {
  github = server
  github.seedRepo({ owner, repo, files: serverFiles(BASE_FILES()) })
  temp = tempDir('nix-ci-fork-safety-')
})

const store = () => github.store.repo(owner, repo)
const mainHead = () => store().refs.get('refs/heads/main')

/** mallory/mast, a fork, with a pull request from its branch `main`; the fork's main is ahead of acme's. */
function forkPullFromMain(): { pr: PullRequest; checkout: TestRepo } {
  const files = { ...BASE_FILES(), 'flake.nix': { content: flakeNix(OLD, '0.2.0') } }
  const fork = github.seedRepo({ owner: 'mallory', repo, files: serverFiles(BASE_FILES()), forkOf: `${owner}/${repo}` }).repo
  // The fork's history starts at acme's main, so its commits would fast-forward acme's main.
  copyHistory(mainHead() as string, fork)
  fork.refs.set('refs/heads/main', mainHead() as string)
  github.store.pushChange('mallory', repo, 'main', { 'flake.nix': flakeNix(OLD, '0.2.0') }, { message: 'Bump the version' })
  const pr = openPull(github, { head: 'main', headRepo: `mallory/${repo}`, user: 'mallory' })
  const checkout = checkoutOf(files)
  track(checkout)
  return { pr, checkout }
}

/** Copies acme's objects reachable from `sha` into the fork, as forking does. */
function copyHistory(sha: string, into: ReturnType<typeof store>): void {
  const queue = [sha]
  while (queue.length) {
    const next = queue.pop() as string
    const object = store().objects.get(next)
    if (!object) continue
    into.objects.set(next, object)
    if (object.type === 'commit') queue.push(object.tree, ...object.parents)
    if (object.type === 'tree') queue.push(...object.entries.map(e => e.sha))
  }
}

/** The event payload GitHub would send for this pull request now: its REST representation. */
async function eventContext(number: number, eventName: string): Promise<RunContext> {
  const octokit = testClient(github)
  const { data: pull } = await octokit.rest.pulls.get({ owner, repo, pull_number: number })
  const { data: repository } = await octokit.rest.repos.get({ owner, repo })
  const path = join(temp, `event-${number}.json`)
  writeFileSync(path, JSON.stringify({ action: 'synchronize', number, pull_request: pull, repository }))
  return readRunContext({
    GITHUB_REPOSITORY: `${owner}/${repo}`,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: path,
    GITHUB_SHA: pull.base.sha,
    GITHUB_REF: eventName === 'pull_request_target' ? 'refs/heads/main' : `refs/pull/${number}/merge`
  })
}

describe('the event payload', () => {
  it('counts a pull request from a deleted fork (head.repo: null) as a fork, and pull_request_target refuses it', async () => {
    const { pr } = forkPullFromMain()
    github.store.deleteRepo('mallory', repo)
    const context = await eventContext(pr.number, 'pull_request_target')
    expect(context.pullRequest).toMatchObject({ number: pr.number, headRef: 'main', headRepo: '', isFork: true })
    expect(context.pullRequest?.headRepoId).toBeUndefined()
    const refusal = refuseUnsafeEvent(context)
    expect(refusal).toMatch(
      /Refusing to build pull request #\d+ from a repository GitHub no longer knows \(a deleted fork\).*'pull_request_target'/
    )
  })

  it('compares repository ids, not names, and calls a payload without ids a fork', async () => {
    const { pr } = forkPullFromMain()
    const same = await eventContext(pr.number, 'pull_request')
    expect(same.pullRequest).toMatchObject({ headRepo: `mallory/${repo}`, isFork: true })
    // A same-repository pull request: the ids match.
    const main = mainHead() as string
    store().refs.set('refs/heads/feature', main)
    github.store.pushChange(owner, repo, 'feature', { 'README.md': 'feature\n' })
    const own = openPull(github, { head: 'feature', user: 'jane' })
    const ownContext = await eventContext(own.number, 'pull_request')
    expect(ownContext.pullRequest).toMatchObject({ headRepo: `${owner}/${repo}`, isFork: false })
    expect(ownContext.pullRequest?.headRepoId).toBe(store().id)

    // The head repository's name spelled like the base, but another repository: still a fork.
    const path = join(temp, 'renamed.json')
    const payload = {
      repository: { id: store().id, full_name: `${owner}/${repo}` },
      pull_request: {
        number: 9,
        head: { ref: 'main', sha: 'a'.repeat(40), repo: { id: 4242, full_name: `${owner}/${repo}` } },
        base: { ref: 'main', sha: main, repo: { id: store().id } },
        user: { login: 'x' }
      }
    }
    writeFileSync(path, JSON.stringify(payload))
    const env = { GITHUB_REPOSITORY: `${owner}/${repo}`, GITHUB_EVENT_PATH: path, GITHUB_EVENT_NAME: 'pull_request_target' }
    expect(readRunContext(env).pullRequest?.isFork).toBe(true)
    // No ids at all (a hand-written or truncated payload): a fork.
    writeFileSync(
      path,
      JSON.stringify({ pull_request: { number: 9, head: { ref: 'main', repo: { full_name: `${owner}/${repo}` } }, base: { ref: 'main' } } })
    )
    expect(readRunContext(env).pullRequest?.isFork).toBe(true)
  })
})

describe('commit mode never pushes outside a branch of the base repository', () => {
  it("refuses a deleted fork's pull request from a branch named main under pull_request_target: acme's main stays put", async () => {
    const { pr, checkout } = forkPullFromMain()
    const before = mainHead()
    github.store.deleteRepo('mallory', repo)
    const context = await eventContext(pr.number, 'pull_request_target')
    const { result } = await runStage(github, { mode: 'commit', hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context })

    expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none' })
    expect(mainHead()).toBe(before)
    expect(github.calls.filter(c => c.method !== 'GET')).toEqual([])
  })

  it('checks the live pull request too: a context that says "same repository" does not make a deleted fork one', async () => {
    const { pr, checkout } = forkPullFromMain()
    const before = mainHead()
    github.store.deleteRepo('mallory', repo)
    // A context built by hand (or from an old payload) that claims the head is acme/mast.
    const context = await eventContext(pr.number, 'pull_request')
    const lying: RunContext = {
      ...context,
      pullRequest: { ...(context.pullRequest as NonNullable<RunContext['pullRequest']>), headRepo: `${owner}/${repo}`, isFork: false }
    }
    const { result } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: lying
    })

    expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none' })
    expect(result.message).toMatch(/head repository .*no longer exists|GitHub no longer knows/)
    expect(mainHead()).toBe(before)
    expect(github.callsTo('git/update-ref')).toEqual([])
    expect(github.callsTo('git/create-commit')).toEqual([])
  })

  it('offers suggestions instead of pushing when the live pull request comes from another repository', async () => {
    const { pr, checkout } = forkPullFromMain()
    const before = mainHead()
    const context = await eventContext(pr.number, 'pull_request')
    const lying: RunContext = {
      ...context,
      pullRequest: { ...(context.pullRequest as NonNullable<RunContext['pullRequest']>), isFork: false }
    }
    const { result } = await runStage(github, {
      mode: 'commit',
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: lying
    })
    expect(result.message).toMatch(/comes from the fork mallory\/mast/)
    expect(mainHead()).toBe(before)
    expect(github.callsTo('git/update-ref')).toEqual([])
  })
})

describe('workflow_run and issue_comment jobs that check out pull request code', () => {
  it('refuses write modes when the checkout is not the trusted commit, and says what to do', async () => {
    const trusted = checkoutOf({ 'flake.nix': { content: '{ }\n' } })
    track(trusted)
    const sha = (await checkedOutCommit(trusted.dir)) as string
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    const prCode = checkoutOf({ 'flake.nix': { content: '{ outputs = _: { }; }\n' } })
    track(prCode)

    for (const eventName of ['workflow_run', 'issue_comment']) {
      const context = { owner, repo, eventName, sha, ref: 'refs/heads/main', apiUrl: '', serverUrl: '', actor: 'x' } satisfies RunContext
      const refusal = await refuseBeforeBuild(context, writeModesOf({ fixHashes: 'pull-request', release: 'tag' }), prCode.dir)
      expect(refusal).toMatch(
        new RegExp(
          `Refusing 'fix-hashes: pull-request' and 'release: tag' on this '${eventName}' job: it checked out [0-9a-f]{12}, not the event's trusted commit ${sha.slice(0, 12)}`
        )
      )
      expect(refusal).toMatch(/'fix-hashes: report' and 'release: off'.*check out the trusted commit/s)
      // The trusted commit itself, read-only modes, or no git checkout at all: nothing to refuse.
      expect(await refuseBeforeBuild(context, writeModesOf({ fixHashes: 'commit', release: 'off' }), trusted.dir)).toBeUndefined()
      expect(await refuseBeforeBuild(context, writeModesOf({ fixHashes: 'report', release: 'off' }), prCode.dir)).toBeUndefined()
      expect(await refuseBeforeBuild(context, writeModesOf({ fixHashes: 'pull-request', release: 'off' }), temp)).toBeUndefined()
    }
    // Other events are judged by their own rules (a push checks out its own commit).
    expect(refuseUntrustedCheckout({ eventName: 'push', sha }, await checkedOutCommit(prCode.dir), ['release: tag'])).toBeUndefined()
  })
})
