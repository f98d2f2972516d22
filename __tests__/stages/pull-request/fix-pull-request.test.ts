// `fix-hashes: pull-request` end to end: the real Octokit against the spec-checked GitHub server,
// the fix's bytes read from a real git checkout. One branch, one verified commit, one PR, whatever
// the reruns, races, new bases and human pushes.
import { describe, expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { trailer } from '../../../src/stages/pull-request/ownership.js'
import { expectNoViolations, type GitHubTestServer } from '../../support/github-server/index.js'
import type { GitObject } from '../../support/github-server/store.js'
import type { TestRepo } from '../../support/hash-fixtures.js'
import {
  BASE_FILES,
  BRANCH,
  MIX_FIX,
  NEW,
  NEW_NPM,
  NPM_FIX,
  OLD,
  applyFixes,
  checkoutOf,
  cleanResult,
  flakeNix,
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
const branchHead = () => store().refs.get(`refs/heads/${BRANCH}`)
const commitAt = (sha: string | undefined) => github.store.object(store(), sha ?? '') as Extract<GitObject, { type: 'commit' }>
const treeEntries = (treeSha: string, prefix = '') => github.store.flattenTree(store(), treeSha, prefix)
const blobBytes = (sha: string) => (github.store.object(store(), sha) as Extract<GitObject, { type: 'blob' }>).content
const openPulls = () => store().pulls.filter(p => p.state === 'open')

describe('opening the fix pull request', () => {
  it("commits the verified bytes with each file's mode through the Git Data API and opens one labelled PR", async () => {
    const hashes = applyFixes(checkout, [MIX_FIX, NPM_FIX])
    const { result, outputs } = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha) })

    expect(result).toMatchObject({ ok: true, status: 'done', operation: 'created', number: 1, branch: BRANCH })
    expect(outputs).toEqual({
      'pull-request-operation': 'created',
      'pull-request-number': '1',
      'pull-request-url': 'https://github.com/acme/mast/pull/1'
    })

    // One commit, on the built commit, holding exactly the work tree's bytes.
    const commit = commitAt(branchHead())
    expect(commit.sha).toBe(result.commitSha)
    expect(commit.parents).toEqual([baseSha])
    const files = treeEntries(commit.tree)
    expect(blobBytes(files.get('flake.nix')!.sha).equals(readFileSync(join(checkout.dir, 'flake.nix')))).toBe(true)
    const script = files.get('nix/npm-deps.sh')!
    expect(script.mode).toBe('100755')
    expect(blobBytes(script.sha).equals(readFileSync(join(checkout.dir, 'nix/npm-deps.sh')))).toBe(true)
    expect(blobBytes(script.sha).toString('latin1')).toContain(`NPM_DEPS_HASH='${NEW_NPM}'\r\n`)
    expect(files.get('flake.nix')!.mode).toBe('100644')
    // Everything else is the base commit's, untouched.
    const base = treeEntries(commitAt(baseSha).tree)
    expect(files.get('mix.lock')).toEqual(base.get('mix.lock'))
    expect(files.get('README.md')).toEqual(base.get('README.md'))
    // Blobs went up as base64, so no byte was re-encoded.
    expect(github.callsTo('git/create-blob')).toHaveLength(2)
    // No author or committer: GitHub attributes (and signs) the commit as the token's identity.
    expect(commit.author.name).toBe('github-actions[bot]')
    expect(trailer(commit.message, 'Nix-CI-Tree')).toBe(commit.tree)
    expect(trailer(commit.message, 'Nix-CI-Fix')).toMatch(/^[0-9a-f]{16}$/)

    const [pr] = store().pulls
    expect(pr).toMatchObject({ headRef: BRANCH, baseRef: 'main', state: 'open', labels: ['dependencies', 'nix'] })
    expect(pr.title).toBe('Fix stale Nix hashes: mast-mix-deps-0.1.0 and mast-assets-npm-deps')
    expect(pr.body).toContain('| `mast-mix-deps-0.1.0` | [`flake.nix:6`](https://github.com/acme/mast/blob/' + baseSha + '/flake.nix#L6) |')
    expect(pr.body).toContain(`\`${OLD}\` → \`${NEW}\` | aarch64-linux, x86_64-linux |`)
    expect(pr.body).toContain('Nix 2.8.0')
    expect(pr.body).toContain('nix build .#packages.aarch64-linux.default')
    expect(pr.body).toContain('nix-ci fix-hashes --write --systems "aarch64-linux x86_64-linux"')
    // Opened with the default token: checks will not run by themselves, and the body says what to do.
    expect(pr.body).toMatch(/default `GITHUB_TOKEN`.*starts no workflow runs.*`github-token`.*close and reopen/s)
  })

  it('leaves the default-token note out when a personal access token or App token made the commit', async () => {
    github.store.actor = { login: 'nix-ci-app[bot]', name: 'nix-ci-app[bot]', email: '123+nix-ci-app[bot]@users.noreply.github.com' }
    const hashes = applyFixes(checkout, [MIX_FIX])
    const { result } = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha), labels: ['hashes'] })
    expect(result.operation).toBe('created')
    expect(store().pulls[0].body).not.toContain('GITHUB_TOKEN')
    expect(store().pulls[0].title).toBe('Fix stale Nix hash: mast-mix-deps-0.1.0')
    expect(store().pulls[0].labels).toEqual(['hashes'])
    // And an explicit answer from the caller wins over the inference.
    const again = checkoutOf(BASE_FILES())
    try {
      const second = await runStage(github, {
        hashes: applyFixes(again, [MIX_FIX, NPM_FIX]),
        repoDir: again.dir,
        context: pushContext(baseSha),
        defaultToken: true
      })
      expect(second.result.operation).toBe('updated')
      expect(store().pulls[0].body).toContain('GITHUB_TOKEN')
    } finally {
      again.cleanup()
    }
  })

  it('works from a flake in a subfolder: paths in the commit are from the repository root', async () => {
    const files = { ...BASE_FILES(), 'examples/app/flake.nix': { content: flakeNix(OLD, '9.9.9') } }
    await github.stop()
    expectNoViolations(github)
    github = await anotherGitHub()
    baseSha = github.seedRepo({ owner, repo, files: serverFiles(files) }).headSha
    const nested = checkoutOf(files)
    try {
      const hashes = applyFixes({ ...nested, dir: join(nested.dir, 'examples/app') }, [MIX_FIX])
      const { result } = await runStage(github, {
        hashes,
        repoDir: join(nested.dir, 'examples/app'),
        context: pushContext(baseSha),
        flake: './examples/app'
      })
      expect(result.operation).toBe('created')
      const tree = treeEntries(commitAt(branchHead()).tree)
      expect(blobBytes(tree.get('examples/app/flake.nix')!.sha).toString()).toBe(flakeNix(NEW, '9.9.9'))
      expect(tree.get('flake.nix')).toEqual(treeEntries(commitAt(baseSha).tree).get('flake.nix'))
      expect(store().pulls[0].body).toContain('nix build ./examples/app#packages.aarch64-linux.default')
    } finally {
      nested.cleanup()
    }
  })
})

describe('reruns and races', () => {
  it('a rerun with the same fix makes no commit and reports none; the PR stays the only one', async () => {
    const hashes = applyFixes(checkout, [MIX_FIX])
    const first = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha) })
    const head = branchHead()
    const commitsBefore = github.callsTo('git/create-commit').length
    const second = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha) })

    expect(first.result.operation).toBe('created')
    expect(second.result).toMatchObject({ ok: true, operation: 'none', number: 1, commitSha: head })
    expect(second.outputs).toEqual({
      'pull-request-operation': 'none',
      'pull-request-number': '1',
      'pull-request-url': 'https://github.com/acme/mast/pull/1'
    })
    expect(branchHead()).toBe(head)
    expect(github.callsTo('git/create-commit')).toHaveLength(commitsBefore)
    expect(github.callsTo('pulls/update')).toHaveLength(0)
    expect(store().pulls).toHaveLength(1)
  })

  it('a rerun with one more fix updates the same branch and PR (title, body) instead of opening another', async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    const again = checkoutOf(BASE_FILES())
    try {
      const { result } = await runStage(github, {
        hashes: applyFixes(again, [MIX_FIX, NPM_FIX]),
        repoDir: again.dir,
        context: pushContext(baseSha)
      })
      expect(result).toMatchObject({ operation: 'updated', number: 1 })
      expect(store().pulls).toHaveLength(1)
      expect(store().pulls[0].title).toBe('Fix stale Nix hashes: mast-mix-deps-0.1.0 and mast-assets-npm-deps')
      const commit = commitAt(branchHead())
      expect(commit.parents).toEqual([baseSha])
      expect(treeEntries(commit.tree).get('nix/npm-deps.sh')!.mode).toBe('100755')
    } finally {
      again.cleanup()
    }
  })

  it('two runs at once leave exactly one branch, one commit on it and one PR', async () => {
    const other = checkoutOf(BASE_FILES())
    try {
      // Both runs reach "create the branch" and "open the PR" together, every time.
      github.barrier('git/create-ref', 2)
      github.barrier('pulls/create', 2)
      const [a, b] = await Promise.all([
        runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) }),
        runStage(github, { hashes: applyFixes(other, [MIX_FIX]), repoDir: other.dir, context: pushContext(baseSha) })
      ])
      expect(
        github
          .callsTo('git/create-ref')
          .map(c => c.status)
          .sort()
      ).toEqual([201, 422])
      expect(
        github
          .callsTo('pulls/create')
          .map(c => c.status)
          .sort()
      ).toEqual([201, 422])
      expect([a.result.operation, b.result.operation].sort()).toEqual(['created', 'none'])
      expect([a.result.ok, b.result.ok]).toEqual([true, true])
      expect(a.outputs['pull-request-number']).toBe('1')
      expect(b.outputs['pull-request-number']).toBe('1')
      expect([...store().refs.keys()].filter(r => r.startsWith('refs/heads/nix-ci/'))).toEqual([`refs/heads/${BRANCH}`])
      expect(store().pulls).toHaveLength(1)
      expect(openPulls()).toHaveLength(1)
      expect(commitAt(branchHead()).parents).toEqual([baseSha])
      expect([a.result.commitSha, b.result.commitSha]).toEqual([branchHead(), branchHead()])
    } finally {
      other.cleanup()
    }
  })

  it('rebuilds the branch on the new base when the base moved on, in the same PR', async () => {
    const hashes = applyFixes(checkout, [MIX_FIX])
    await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha) })
    const oldFix = branchHead()
    const newBase = github.store.pushChange(owner, repo, 'main', { 'README.md': '# mast\n\nNow with docs.\n' })
    const { result } = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(newBase) })

    expect(result).toMatchObject({ ok: true, operation: 'updated', number: 1 })
    const commit = commitAt(branchHead())
    expect(branchHead()).not.toBe(oldFix)
    expect(commit.parents).toEqual([newBase])
    expect(blobBytes(treeEntries(commit.tree).get('README.md')!.sha).toString()).toBe('# mast\n\nNow with docs.\n')
    expect(blobBytes(treeEntries(commit.tree).get('flake.nix')!.sha).toString()).toBe(flakeNix(NEW))
    expect(store().pulls).toHaveLength(1)
    expect(store().pulls[0].body).toContain(`Built from \`${newBase.slice(0, 12)}\``)
  })

  it('never moves the branch back to an older base when an older run finishes last', async () => {
    const hashes = applyFixes(checkout, [MIX_FIX])
    const newBase = github.store.pushChange(owner, repo, 'main', { 'README.md': 'newer\n' })
    await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(newBase) })
    const newer = branchHead()
    const late = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha) })
    expect(late.result).toMatchObject({ ok: true, operation: 'none', number: 1 })
    expect(late.result.message).toMatch(/newer than this run's/)
    expect(branchHead()).toBe(newer)
  })
})

describe("someone else's commits on the fix branch", () => {
  it('comments on the PR and stops, overwriting nothing, when a person pushed to the branch', async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    const human = github.store.pushChange(
      owner,
      repo,
      BRANCH,
      { 'mix.lock': '%{"plug": {:hex, :plug, "1.16.3"}}\n' },
      { message: 'Also bump plug' }
    )
    const again = checkoutOf(BASE_FILES())
    try {
      const { result, outputs, reporter } = await runStage(github, {
        hashes: applyFixes(again, [MIX_FIX, NPM_FIX]),
        repoDir: again.dir,
        context: pushContext(baseSha)
      })
      expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none', number: 1 })
      expect(result.message).toMatch(
        new RegExp(`holds commit ${human.slice(0, 12)}, which nix-ci did not make.*nothing was overwritten.*Delete the branch`)
      )
      expect(outputs['pull-request-operation']).toBe('none')
      expect(reporter.text()).toMatch(/error: .*nix-ci did not make/)
      expect(branchHead()).toBe(human)
      const comments = store().issueComments
      expect(comments).toHaveLength(1)
      expect(comments[0].body).toMatch(/^<!-- nix-ci:fix-hashes:others-commits -->\n/)
      expect(comments[0].body).toContain('nothing of yours is overwritten')
      // A second run says it once, not twice.
      const third = checkoutOf(BASE_FILES())
      await runStage(github, { hashes: applyFixes(third, [MIX_FIX]), repoDir: third.dir, context: pushContext(baseSha) })
      third.cleanup()
      expect(store().issueComments).toHaveLength(1)
      expect(github.callsTo('git/update-ref')).toHaveLength(0)
    } finally {
      again.cleanup()
    }
  })

  it("keeps a person's push that lands between nix-ci's read of the branch and its update, and says so", async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    // The base moves on, so the next run rebuilds the branch: a move that is not a fast-forward.
    const newBase = github.store.pushChange(owner, repo, 'main', { 'README.md': '# mast\n\nNewer.\n' })
    // Just before nix-ci's ref update reaches GitHub (whichever API it uses), a person pushes.
    let human = ''
    const push = () => {
      if (human === '')
        human = github.store.pushChange(
          owner,
          repo,
          BRANCH,
          { 'mix.lock': '%{"plug": {:hex, :plug, "1.16.3"}}\n' },
          { message: 'Also bump plug' }
        )
    }
    github.beforeNext('git/update-ref', push)
    github.beforeNext('graphql/updateRefs', push)
    const { result, reporter } = await runStage(github, {
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: pushContext(newBase)
    })

    expect(human).not.toBe('')
    expect(branchHead()).toBe(human)
    expect(commitAt(human).message).toBe('Also bump plug')
    expect(result).toMatchObject({ ok: false, status: 'refused', number: 1 })
    expect(result.message).toMatch(new RegExp(`holds commit ${human.slice(0, 12)}, which nix-ci did not make.*nothing was overwritten`))
    expect(reporter.summary()).toMatch(
      new RegExp(
        `refused.*holds commit ${human.slice(0, 12)}, which nix-ci did not make, so nix-ci did not touch the branch and nothing was overwritten`
      )
    )
    expect(store().issueComments.map(c => c.body)).toEqual([expect.stringContaining('nothing of yours is overwritten')])
    // The update that lost the race wrote nothing.
    expect(github.callsTo('git/update-ref').filter(c => c.status === 200)).toEqual([])
  })

  it("treats an amended copy of nix-ci's commit (trailers kept, content changed) as someone else's", async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    const ours = commitAt(branchHead())
    // Same message and parent, different tree: what `git commit --amend` after an edit gives.
    const amendedTree = github.store.applyTreeItems(store(), ours.tree, [
      { path: 'flake.nix', mode: '100644', type: 'blob', sha: github.store.addBlob(store(), Buffer.from(flakeNix(NEW) + '# tweak\n')) }
    ])
    const amended = github.store.addCommit(store(), {
      message: ours.message,
      tree: amendedTree,
      parents: ours.parents,
      author: ours.author,
      committer: ours.committer
    })
    store().refs.set(`refs/heads/${BRANCH}`, amended)
    const { result } = await runStage(github, {
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: pushContext(baseSha)
    })
    expect(result.status).toBe('refused')
    expect(branchHead()).toBe(amended)
  })
})

describe('closing the fix once the base needs none', () => {
  it('closes the PR with a comment and deletes the branch when every hash is right again', async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    const fixedBase = github.store.pushChange(owner, repo, 'main', { 'flake.nix': flakeNix(NEW) }, { message: 'Fix the hash by hand' })
    const { result, outputs } = await runStage(github, { hashes: cleanResult(), repoDir: checkout.dir, context: pushContext(fixedBase) })

    expect(result).toMatchObject({ ok: true, operation: 'closed', number: 1 })
    expect(outputs).toEqual({
      'pull-request-operation': 'closed',
      'pull-request-number': '1',
      'pull-request-url': 'https://github.com/acme/mast/pull/1'
    })
    expect(store().pulls[0].state).toBe('closed')
    expect(branchHead()).toBeUndefined()
    expect(store().issueComments.map(c => c.body)).toEqual([
      expect.stringMatching(
        /^<!-- nix-ci:fix-hashes:closed -->\n\nEvery fixed-output hash on `main` is correct.*closing\. The branch held only nix-ci's commit and is deleted\./s
      )
    ])
    // Nothing left to do on the next clean run.
    const next = await runStage(github, { hashes: cleanResult(), repoDir: checkout.dir, context: pushContext(fixedBase) })
    expect(next.result).toMatchObject({ ok: true, status: 'skipped', operation: 'none' })
  })

  it('never closes it on a clean result from a failed build (the stale hash may not have been reached)', async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    const head = branchHead()
    const { result } = await runStage(github, {
      hashes: cleanResult(),
      buildOk: false,
      repoDir: checkout.dir,
      context: pushContext(baseSha)
    })
    expect(result).toMatchObject({ ok: true, status: 'skipped', operation: 'none' })
    expect(result.message).toMatch(/build failed, so finding no stale hash proves nothing/)
    expect(store().pulls[0].state).toBe('open')
    expect(branchHead()).toBe(head)
  })

  it("keeps the PR and the branch when they hold someone else's commits", async () => {
    await runStage(github, { hashes: applyFixes(checkout, [MIX_FIX]), repoDir: checkout.dir, context: pushContext(baseSha) })
    const human = github.store.pushChange(owner, repo, BRANCH, { 'README.md': 'docs\n' })
    const fixedBase = github.store.pushChange(owner, repo, 'main', { 'flake.nix': flakeNix(NEW) })
    const { result } = await runStage(github, { hashes: cleanResult(), repoDir: checkout.dir, context: pushContext(fixedBase) })
    expect(result).toMatchObject({ ok: true, operation: 'none' })
    expect(store().pulls[0].state).toBe('open')
    expect(branchHead()).toBe(human)
    expect(store().issueComments[0].body).toMatch(/leaves this pull request and its branch to you/)
  })

  it('does nothing on a clean run when there is no fix branch', async () => {
    const { result, outputs } = await runStage(github, { hashes: cleanResult(), repoDir: checkout.dir, context: pushContext(baseSha) })
    expect(result).toMatchObject({ ok: true, status: 'skipped', operation: 'none' })
    expect(outputs).toEqual({ 'pull-request-operation': 'none' })
    expect(github.calls.every(c => c.method === 'GET')).toBe(true)
  })
})

describe('what is committed is what was verified', () => {
  it('refuses when a file holds changes besides the verified hash lines', async () => {
    const hashes = applyFixes(checkout, [MIX_FIX])
    const path = join(checkout.dir, 'flake.nix')
    writeFileSync(path, readFileSync(path, 'utf8').replace('version = "0.1.0"', 'version = "6.6.6"'))
    const { result } = await runStage(github, { hashes, repoDir: checkout.dir, context: pushContext(baseSha) })
    expect(result).toMatchObject({ ok: false, status: 'refused', operation: 'none' })
    expect(result.message).toMatch(/flake\.nix differs from the checked-out commit on line\(s\) 4, which are not verified hash fixes/)
    expect(github.calls.filter(c => c.method !== 'GET')).toHaveLength(0)
  })

  it('refuses when the checkout is not the commit the fix would go on', async () => {
    const moved = github.store.pushChange(owner, repo, 'main', { 'flake.nix': flakeNix(OLD, '0.2.0') })
    const { result } = await runStage(github, {
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: pushContext(moved)
    })
    expect(result.status).toBe('refused')
    expect(result.message).toMatch(
      /flake\.nix in the checkout \(blob [0-9a-f]{12}\) is not the file in acme\/mast@[0-9a-f]{12}.*Check out exactly that commit/s
    )
    expect(branchHead()).toBeUndefined()
  })

  it('refuses on a pull request event, naming the modes that fit', async () => {
    const { result } = await runStage(github, {
      hashes: applyFixes(checkout, [MIX_FIX]),
      repoDir: checkout.dir,
      context: pushContext(baseSha, {
        eventName: 'pull_request',
        ref: 'refs/pull/3/merge',
        pullRequest: {
          number: 3,
          headRef: 'x',
          headSha: baseSha,
          headRepo: 'acme/mast',
          baseRef: 'main',
          baseSha,
          isFork: false,
          author: 'jane'
        }
      })
    })
    expect(result.status).toBe('refused')
    expect(result.message).toMatch(/this run is for pull request #3.*'fix-hashes: commit'/)
    expect(github.calls).toHaveLength(0)
  })
})
