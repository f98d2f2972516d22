// The test server's parts the pull-request stage leans on behave as GitHub does: nested paths in
// POST git/trees, compare statuses, PR heads that follow their branch, file diffs, review comments
// only on lines the diff shows, and branch deletion closing its pull request.
import { expect, it } from '@jest/globals'
import { testClient, type GitHubTestServer } from '../support/github-server/index.js'
import { useGitHubServer } from '../support/github-world.js'

let github: GitHubTestServer
const owner = 'acme'
const repo = 'app'

useGitHubServer(server => {
  github = server
})

const statusOf = async (promise: Promise<unknown>): Promise<number> =>
  promise.then(
    () => 200,
    (e: { status: number }) => e.status
  )

it('creates nested paths over a base tree, keeping siblings and modes', async () => {
  const { headSha } = github.seedRepo({
    owner,
    repo,
    files: { 'nix/a.nix': 'a', 'nix/run.sh': { content: '#!/bin/sh\n', mode: '100755' }, 'README.md': 'r' }
  })
  const octokit = testClient(github)
  const base = (await octokit.rest.git.getCommit({ owner, repo, commit_sha: headSha })).data.tree.sha
  const blob = (await octokit.rest.git.createBlob({ owner, repo, content: Buffer.from('b\r\n').toString('base64'), encoding: 'base64' }))
    .data.sha
  const tree = (
    await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: base,
      tree: [{ path: 'nix/a.nix', mode: '100644', type: 'blob', sha: blob }]
    })
  ).data.sha
  const files = github.store.flattenTree(github.store.repo(owner, repo), tree)
  expect([...files.keys()].sort()).toEqual(['README.md', 'nix/a.nix', 'nix/run.sh'])
  expect(files.get('nix/run.sh')?.mode).toBe('100755')
  expect(files.get('nix/a.nix')?.sha).toBe(blob)
})

it('compares commits: ahead, behind, identical, diverged', async () => {
  const { headSha } = github.seedRepo({ owner, repo })
  const next = github.store.pushChange(owner, repo, 'main', { 'a.txt': 'a' })
  github.store.repo(owner, repo).refs.set('refs/heads/side', headSha)
  const side = github.store.pushChange(owner, repo, 'side', { 'b.txt': 'b' })
  const octokit = testClient(github)
  const status = async (base: string, head: string) =>
    (await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}` })).data.status
  expect(await status(headSha, next)).toBe('ahead')
  expect(await status(next, headSha)).toBe('behind')
  expect(await status(next, next)).toBe('identical')
  expect(await status(next, side)).toBe('diverged')
})

it('follows the branch for a PR head, diffs its files, and accepts review comments only on diff lines', async () => {
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`)
  github.seedRepo({ owner, repo, files: { 'f.txt': lines.join('\n') + '\n' } })
  const main = github.store.repo(owner, repo).refs.get('refs/heads/main') as string
  github.store.repo(owner, repo).refs.set('refs/heads/topic', main)
  github.store.pushChange(owner, repo, 'topic', { 'f.txt': lines.map((l, i) => (i === 9 ? 'changed' : l)).join('\n') + '\n' })
  const octokit = testClient(github)
  const pr = (await octokit.rest.pulls.create({ owner, repo, head: 'topic', base: 'main', title: 't' })).data
  const later = github.store.pushChange(owner, repo, 'topic', { 'g.txt': 'new' })
  expect((await octokit.rest.pulls.get({ owner, repo, pull_number: pr.number })).data.head.sha).toBe(later)
  const files = (await octokit.rest.pulls.listFiles({ owner, repo, pull_number: pr.number })).data
  expect(files.map(f => [f.filename, f.status])).toEqual([
    ['f.txt', 'modified'],
    ['g.txt', 'added']
  ])
  expect(files[0].patch).toBe('@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+changed\n line 11\n line 12\n line 13')
  const review = (line: number) =>
    octokit.rest.pulls.createReview({
      owner,
      repo,
      pull_number: pr.number,
      event: 'COMMENT',
      body: 'b',
      comments: [{ path: 'f.txt', line, side: 'RIGHT', body: 'c' }]
    })
  expect(await statusOf(review(13))).toBe(200)
  expect(await statusOf(review(14))).toBe(422)
  expect(github.callsTo('pulls/create-review')[1].body).toMatchObject({
    errors: ['Pull request review thread line must be part of the diff']
  })
  await octokit.rest.git.deleteRef({ owner, repo, ref: 'heads/topic' })
  expect((await octokit.rest.pulls.get({ owner, repo, pull_number: pr.number })).data.state).toBe('closed')
})
