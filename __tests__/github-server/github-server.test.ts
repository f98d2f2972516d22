// The local GitHub server is itself tested: its spec checker must reject off-spec exchanges, and its
// state must behave as GitHub does for the calls the stages make.
import { describe, expect, it } from '@jest/globals'
import { faults, testClient, type GitHubTestServer } from '../support/github-server/index.js'
import { useGitHubServer } from '../support/github-world.js'

let github: GitHubTestServer
const owner = 'acme'
const repo = 'app'

useGitHubServer(server => {
  github = server
})

/** Untyped route, so a deliberately wrong call compiles (Octokit's types would catch it). */
const offSpec = (route: string): string => route

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise
    return 200
  } catch (error) {
    return (error as { status: number }).status
  }
}

describe('spec checking', () => {
  it('rejects a request body that misses a required field, and records it', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    const octokit = testClient(github)
    const status = await statusOf(octokit.request(offSpec('POST /repos/{owner}/{repo}/git/refs'), { owner, repo, ref: 'refs/heads/x' }))
    expect(status).toBe(422)
    const violations = github.takeViolations()
    expect(violations).toHaveLength(1)
    expect(violations[0]).toMatchObject({ kind: 'request', operation: 'git/create-ref' })
    expect(violations[0].errors.join('\n')).toMatch(/sha/)
    // The request never reached the state.
    expect(github.store.repo(owner, repo).refs.has('refs/heads/x')).toBe(false)
    expect(headSha).toMatch(/^[0-9a-f]{40}$/)
  })

  it('rejects a misspelt body field and a query parameter of the wrong type', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    const octokit = testClient(github)
    expect(
      await statusOf(
        octokit.request(offSpec('POST /repos/{owner}/{repo}/releases'), { owner, repo, tag_name: 'v1', generate_release_note: true })
      )
    ).toBe(422)
    expect(await statusOf(octokit.request(offSpec('GET /repos/{owner}/{repo}/tags'), { owner, repo, per_page: 'many' }))).toBe(422)
    const violations = github.takeViolations()
    expect(violations.map(v => v.operation)).toEqual(['repos/create-release', 'repos/list-tags'])
    expect(violations[0].errors.join()).toMatch(/additional/i)
    expect(violations[1].errors.join()).toMatch(/per_page/)
    // A well-formed call right after is fine.
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/y', sha: headSha })
  })

  it('records an off-spec response, even an injected one', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    const octokit = testClient(github)
    github.inject({ operation: 'git/create-ref', status: 201, body: { ref: 123, object: {} } })
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/z', sha: headSha })
    github.inject({ operation: 'git/get-ref', status: 202, body: {} })
    await octokit.rest.git.getRef({ owner, repo, ref: 'heads/main' })
    const violations = github.takeViolations()
    expect(violations.map(v => [v.kind, v.operation])).toEqual([
      ['response', 'git/create-ref'],
      ['response', 'git/get-ref']
    ])
    expect(violations[0].errors.join('\n')).toMatch(/ref must be string|must have required property 'node_id'/)
    expect(violations[1].errors.join()).toMatch(/202 is not documented/)
  })

  it('flags calls to paths that are not in the GitHub API', async () => {
    const octokit = testClient(github)
    expect(await statusOf(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner, repo }))).toBe(404)
    expect(github.takeViolations()).toMatchObject([{ kind: 'unknown-operation' }])
  })
})

describe('git data', () => {
  it('creates blobs, trees, commits and moves a branch only forward unless forced', async () => {
    const { headSha } = github.seedRepo({ owner, repo, files: { 'mix.exs': 'version: "0.1.0"' } })
    const octokit = testClient(github)
    const blob = await octokit.rest.git.createBlob({ owner, repo, content: 'hello\n', encoding: 'utf-8' })
    expect(blob.data.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a') // `git hash-object` of "hello\n"
    const base = await octokit.rest.git.getCommit({ owner, repo, commit_sha: headSha })
    const tree = await octokit.rest.git.createTree({
      owner,
      repo,
      base_tree: base.data.tree.sha,
      tree: [{ path: 'hello.txt', mode: '100644', type: 'blob', sha: blob.data.sha }]
    })
    expect(tree.data.tree.map(e => e.path)).toEqual(['hello.txt', 'mix.exs'])
    const commit = await octokit.rest.git.createCommit({ owner, repo, message: 'Add hello', tree: tree.data.sha, parents: [headSha] })
    const side = await octokit.rest.git.createCommit({ owner, repo, message: 'Unrelated', tree: tree.data.sha, parents: [] })

    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: commit.data.sha })
    expect((await octokit.rest.git.getRef({ owner, repo, ref: 'heads/main' })).data.object.sha).toBe(commit.data.sha)
    await expect(octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: side.data.sha })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/not a fast forward/)
    })
    await octokit.rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: side.data.sha, force: true })
    expect((await octokit.rest.repos.getCommit({ owner, repo, ref: 'main' })).data.sha).toBe(side.data.sha)
    const readBack = await octokit.rest.git.getBlob({ owner, repo, file_sha: blob.data.sha })
    expect(Buffer.from(readBack.data.content, 'base64').toString()).toBe('hello\n')
  })

  it('answers 422 "Reference already exists" to the second of two racing creates', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    github.barrier('git/create-ref', 2)
    const [a, b] = await Promise.allSettled([
      testClient(github).rest.git.createRef({ owner, repo, ref: 'refs/tags/v1.0.0', sha: headSha }),
      testClient(github).rest.git.createRef({ owner, repo, ref: 'refs/tags/v1.0.0', sha: headSha })
    ])
    const outcomes = [a, b].map(r =>
      r.status === 'fulfilled' ? r.value.status : (r.reason as { status: number; message: string }).message
    )
    expect(outcomes.filter(o => o === 201)).toHaveLength(1)
    expect(outcomes.find(o => o !== 201)).toMatch(/^Reference already exists/)
  })

  it('peels annotated tags in matching-refs and the tag list, and paginates', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    const octokit = testClient(github)
    const tag = await octokit.rest.git.createTag({ owner, repo, tag: 'v0.1.0', message: 'v0.1.0', object: headSha, type: 'commit' })
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/tags/v0.1.0', sha: tag.data.sha })
    for (let i = 0; i < 34; i++) github.store.repo(owner, repo).refs.set(`refs/tags/x${i}`, headSha)
    const matching = await octokit.rest.git.listMatchingRefs({ owner, repo, ref: 'tags/v' })
    expect(matching.data).toEqual([
      expect.objectContaining({ ref: 'refs/tags/v0.1.0', object: expect.objectContaining({ type: 'tag', sha: tag.data.sha }) })
    ])
    const all = await octokit.paginate(octokit.rest.repos.listTags, { owner, repo, per_page: 10 })
    expect(all).toHaveLength(35)
    expect(all.find(t => t.name === 'v0.1.0')?.commit.sha).toBe(headSha)
    expect(github.callsTo('repos/list-tags')).toHaveLength(4)
  })
})

describe('releases', () => {
  it('creates a release with generated notes, refuses a second one for the tag, and serves it by tag and as latest', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    const octokit = testClient(github)
    const created = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v1.0.0',
      target_commitish: headSha,
      generate_release_notes: true
    })
    expect(created.data).toMatchObject({
      tag_name: 'v1.0.0',
      name: 'v1.0.0',
      prerelease: false,
      html_url: 'https://github.com/acme/app/releases/tag/v1.0.0'
    })
    expect(created.data.body).toMatch(/Full Changelog/)
    // Publishing created the missing tag at the target, as GitHub does.
    expect(github.store.repo(owner, repo).refs.get('refs/tags/v1.0.0')).toBe(headSha)
    await expect(octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1.0.0' })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] } }
    })
    await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1.1.0-rc.1', prerelease: true })
    expect((await octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.1.0-rc.1' })).data.prerelease).toBe(true)
    expect((await octokit.rest.repos.getLatestRelease({ owner, repo })).data.tag_name).toBe('v1.0.0')
    expect((await octokit.rest.repos.listReleases({ owner, repo })).data.map(r => r.tag_name)).toEqual(['v1.1.0-rc.1', 'v1.0.0'])
    await expect(octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v9' })).rejects.toMatchObject({ status: 404 })
  })

  it('protects the tag of an immutable release', async () => {
    const { headSha } = github.seedRepo({ owner, repo, immutableReleases: true })
    const next = github.store.pushCommit(owner, repo, 'main', { 'a.txt': 'a' })
    const octokit = testClient(github)
    const created = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1', target_commitish: headSha })
    expect(created.data.immutable).toBe(true)
    await expect(octokit.rest.git.updateRef({ owner, repo, ref: 'tags/v1', sha: next, force: true })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/Repository rule violations found/)
    })
  })
})

describe('pull requests', () => {
  it('opens, finds, labels, comments on and reviews a pull request, including one from a fork', async () => {
    github.seedRepo({ owner, repo })
    github.store.pushCommit(owner, repo, 'fix-hashes', { 'flake.nix': '{ }' })
    github.seedRepo({ owner: 'someone', repo, forkOf: `${owner}/${repo}` })
    github.store.pushCommit('someone', repo, 'feature', { 'x.txt': 'x' })
    const octokit = testClient(github)
    const pr = await octokit.rest.pulls.create({ owner, repo, head: 'fix-hashes', base: 'main', title: 'Fix hashes', body: 'body' })
    await expect(octokit.rest.pulls.create({ owner, repo, head: 'fix-hashes', base: 'main', title: 'again' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/A pull request already exists for acme:fix-hashes/)
    })
    const fork = await octokit.rest.pulls.create({ owner, repo, head: 'someone:feature', base: 'main', title: 'From a fork' })
    expect(fork.data.head.repo?.full_name).toBe('someone/app')
    expect(fork.data.head.repo?.fork).toBe(true)

    const found = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:fix-hashes`, base: 'main', state: 'open' })
    expect(found.data.map(p => p.number)).toEqual([pr.data.number])
    const labels = await octokit.rest.issues.addLabels({ owner, repo, issue_number: pr.data.number, labels: ['nix-ci', 'hashes'] })
    expect(labels.data.map(l => l.name)).toEqual(['nix-ci', 'hashes'])
    await octokit.rest.issues.createComment({ owner, repo, issue_number: pr.data.number, body: 'Rebuilt and verified.' })
    expect((await octokit.rest.issues.listComments({ owner, repo, issue_number: pr.data.number })).data.map(c => c.body)).toEqual([
      'Rebuilt and verified.'
    ])
    await octokit.rest.pulls.createReviewComment({
      owner,
      repo,
      pull_number: pr.data.number,
      body: 'stale hash',
      commit_id: pr.data.head.sha,
      path: 'flake.nix',
      line: 1
    })
    await octokit.rest.pulls.createReview({ owner, repo, pull_number: pr.data.number, event: 'COMMENT', body: 'See the comments' })
    expect((await octokit.rest.pulls.listReviews({ owner, repo, pull_number: pr.data.number })).data.map(r => r.state)).toEqual([
      'COMMENTED'
    ])

    const closed = await octokit.rest.pulls.update({ owner, repo, pull_number: pr.data.number, state: 'closed' })
    expect(closed.data.state).toBe('closed')
    expect((await octokit.rest.pulls.list({ owner, repo, state: 'open' })).data.map(p => p.title)).toEqual(['From a fork'])
    expect((await octokit.rest.pulls.get({ owner, repo, pull_number: pr.data.number })).data.labels.map(l => l.name)).toEqual([
      'nix-ci',
      'hashes'
    ])
  })
})

describe('error injection', () => {
  it('answers injected errors and lets the client retry rate limits, server errors and dropped connections', async () => {
    const { headSha } = github.seedRepo({ owner, repo })
    const messages: string[] = []
    const octokit = testClient(github, { log: m => messages.push(m) })

    github.inject({ operation: 'git/create-ref', ...faults.notAccessibleByIntegration() })
    await expect(octokit.rest.git.createRef({ owner, repo, ref: 'refs/tags/a', sha: headSha })).rejects.toMatchObject({ status: 403 })

    github.inject({ operation: 'git/create-ref', ...faults.secondaryRateLimit(0) })
    await octokit.rest.git.createRef({ owner, repo, ref: 'refs/tags/b', sha: headSha })
    github.inject({ operation: 'repos/get', ...faults.primaryRateLimit(0) })
    github.inject({ operation: 'repos/get', ...faults.serverError(502) })
    github.inject({ operation: 'repos/get', ...faults.DROP_CONNECTION })
    expect((await octokit.rest.repos.get({ owner, repo })).data.full_name).toBe('acme/app')

    expect(github.callsTo('git/create-ref').map(c => c.status)).toEqual([403, 403, 201])
    expect(github.callsTo('repos/get').map(c => c.status)).toEqual([429, 502, 0, 200])
    expect(messages.join('\n')).toMatch(/secondary rate limit/)
    expect(messages.join('\n')).toMatch(/primary rate limit/)

    github.inject({ operation: 'git/update-ref', times: 2, ...faults.protectedRef() })
    for (let i = 0; i < 2; i++) {
      await expect(octokit.rest.git.updateRef({ owner, repo, ref: 'tags/b', sha: headSha, force: true })).rejects.toMatchObject({
        status: 422,
        message: expect.stringMatching(/Cannot update this protected ref/)
      })
    }
  })

  it('refuses to inject into an operation it does not implement', () => {
    expect(() => github.inject({ operation: 'repos/delete', status: 500 })).toThrow(/does not implement/)
  })
})
