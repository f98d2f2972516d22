// The release stage end to end against the local GitHub server, through the real Octokit: each
// decision branch, moving tags, two runs at once, rule violations and missing permissions.
import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NixRunner } from '../../../src/nix/runner.js'
import { TerminalReporter } from '../../../src/report/terminal-reporter.js'
import { runReleaseStage, type ReleaseStageOptions } from '../../../src/stages/release/release-stage.js'
import { useTempDirs } from '../../support/cleanup.js'
import { faults, testClient, type GitHubTestServer } from '../../support/github-server/index.js'
import { useGitHubServer } from '../../support/github-world.js'

const owner = 'acme'
const repo = 'mast'
let github: GitHubTestServer
let workdir: string
let headSha: string

const tempDir = useTempDirs()
useGitHubServer(server => {
  github = server
  headSha = github.seedRepo({ owner, repo }).headSha
  workdir = tempDir('nix-ci-release-')
})

function mixVersion(version: string): void {
  writeFileSync(
    join(workdir, 'mix.exs'),
    `defmodule Mast.MixProject do\n  def project do\n    [app: :mast, version: "${version}"]\n  end\nend\n`
  )
}

interface Run {
  reporter: TerminalReporter
  log: string[]
  result: Awaited<ReturnType<typeof runReleaseStage>>
}

async function release(overrides: Partial<ReleaseStageOptions> = {}): Promise<Run> {
  const log: string[] = []
  const reporter = new TerminalReporter(text => log.push(text))
  const result = await runReleaseStage({
    versionFrom: { source: 'auto' },
    tagPrefix: 'v',
    majorTag: false,
    cwd: workdir,
    flake: '.',
    package: 'default',
    system: 'x86_64-linux',
    nix: new NixRunner({ nixConfig: 'substituters =' }),
    reporter,
    octokit: testClient(github),
    owner,
    repo,
    commitSha: headSha,
    buildOk: true,
    trigger: { eventName: 'push', ref: 'refs/heads/main', defaultBranch: 'main', releaseBranches: [] },
    ...overrides
  })
  return { reporter, log, result }
}

const refs = () => github.store.repo(owner, repo).refs
const objectAt = (ref: string) => github.store.object(github.store.repo(owner, repo), refs().get(ref) as string)
const releases = () => github.store.repo(owner, repo).releases

describe('decision branches', () => {
  it('tags the built commit with an annotated tag and publishes a release with generated notes', async () => {
    mixVersion('1.2.3')
    const { result, reporter } = await release()
    expect(result).toMatchObject({
      ok: true,
      status: 'released',
      version: '1.2.3',
      tag: 'v1.2.3',
      releaseUrl: 'https://github.com/acme/mast/releases/tag/v1.2.3'
    })
    const tag = objectAt('refs/tags/v1.2.3')
    expect(tag).toMatchObject({ type: 'tag', tag: 'v1.2.3', object: headSha, objectType: 'commit' })
    expect(releases()).toEqual([
      expect.objectContaining({ tagName: 'v1.2.3', prerelease: false, body: expect.stringMatching(/Full Changelog/) })
    ])
    expect(Object.fromEntries(reporter.outputs)).toEqual({
      version: '1.2.3',
      tag: 'v1.2.3',
      'release-url': 'https://github.com/acme/mast/releases/tag/v1.2.3'
    })
    expect(reporter.summary()).toMatch(
      /\*\*Release:\*\* Released \[`v1\.2\.3`\]\(https:\/\/github\.com\/acme\/mast\/releases\/tag\/v1\.2\.3\)/
    )
  })

  it('does nothing on a re-run for the same commit, and says so', async () => {
    mixVersion('1.2.3')
    await release()
    const again = await release()
    expect(again.result).toMatchObject({
      ok: true,
      status: 'already-released',
      tag: 'v1.2.3',
      releaseUrl: 'https://github.com/acme/mast/releases/tag/v1.2.3'
    })
    expect(again.log.join('')).toMatch(/v1\.2\.3 already tags this commit .*nothing to tag/)
    expect(again.log.join('')).toMatch(/Release v1\.2\.3 already exists/)
    expect(github.callsTo('git/create-tag')).toHaveLength(1)
    expect(github.callsTo('repos/create-release')).toHaveLength(1)
    expect(again.reporter.outputs.get('release-url')).toBe('https://github.com/acme/mast/releases/tag/v1.2.3')
  })

  it('completes a half-done release: the tag exists on this commit but the release does not', async () => {
    refs().set('refs/tags/v1.2.3', headSha)
    mixVersion('1.2.3')
    const { result } = await release()
    expect(result).toMatchObject({ ok: true, status: 'already-released' })
    expect(releases().map(r => r.tagName)).toEqual(['v1.2.3'])
  })

  it('refuses the same version on another commit: bump the version in mix.exs', async () => {
    mixVersion('1.2.3')
    await release()
    const next = github.store.pushCommit(owner, repo, 'main', { 'lib/mast.ex': 'changed' })
    const { result, log } = await release({ commitSha: next })
    expect(result).toMatchObject({ ok: false, status: 'refused' })
    expect(result.failures[0]).toMatch(
      new RegExp(
        `already released as tag v1\\.2\\.3 on commit ${headSha.slice(0, 12)}, not on this commit ${next.slice(0, 12)}: bump the version in mix\\.exs`
      )
    )
    expect(log.join('')).toMatch(/error: mix\.exs:3: /)
    expect(github.callsTo('git/create-tag')).toHaveLength(1)
  })

  it('refuses a version lower than the highest tag, naming both', async () => {
    refs().set('refs/tags/v2.0.0', headSha)
    refs().set('refs/tags/not-a-version', headSha)
    writeFileSync(join(workdir, 'package.json'), '{"version": "1.9.0"}')
    const { result } = await release()
    expect(result.failures[0]).toMatch(
      /1\.9\.0 is lower than 2\.0\.0, already released as tag v2\.0\.0: bump the version in package\.json above 2\.0\.0/
    )
    expect(github.callsTo('git/create-tag')).toHaveLength(0)
  })

  it('publishes a prerelease as a prerelease and never moves moving tags for it', async () => {
    mixVersion('2.0.0-rc.1')
    const { result, log } = await release({ majorTag: true })
    expect(result).toMatchObject({ ok: true, tag: 'v2.0.0-rc.1', movingTags: [] })
    expect(releases()[0].prerelease).toBe(true)
    expect([...refs().keys()].filter(r => r.startsWith('refs/tags/'))).toEqual(['refs/tags/v2.0.0-rc.1'])
    expect(log.join('')).toMatch(/prerelease: moving tags stay where they are/)
  })

  it('works with an empty prefix and ignores v-prefixed tags then', async () => {
    refs().set('refs/tags/v9.0.0', headSha)
    const { result } = await release({ tagPrefix: '', versionFrom: { source: 'literal', version: '1.0.0' } })
    expect(result).toMatchObject({ ok: true, tag: '1.0.0' })
    expect(objectAt('refs/tags/1.0.0')).toMatchObject({ type: 'tag', object: headSha })
  })

  it('refuses to release from a red run, before touching GitHub', async () => {
    mixVersion('1.2.3')
    const red = await release({ buildOk: false })
    expect(red.result).toMatchObject({ ok: false, status: 'refused' })
    expect(red.result.failures[0]).toMatch(/Not releasing: the build failed in this run\. A release is only made from a green run/)
    const vm = await release({ vmTestOk: false })
    expect(vm.result.failures[0]).toMatch(/the VM test failed/)
    expect(github.calls).toHaveLength(0)
    expect(red.reporter.outputs.size).toBe(0)
  })

  it('points at the file and line of a version that is not semver', async () => {
    mixVersion('1.2')
    const { result, log } = await release()
    expect(result).toMatchObject({ ok: false, status: 'failed' })
    expect(log.join('')).toMatch(/error: mix\.exs:3: The version '1\.2' read from mix\.exs:3 is not a semantic version/)
  })
})

describe('moving tags', () => {
  it('creates v1 and v1.2 as plain refs to the commit, then moves them with later releases', async () => {
    mixVersion('1.2.3')
    const first = await release({ majorTag: true })
    expect(first.result.movingTags).toEqual([
      { tag: 'v1', outcome: 'created' },
      { tag: 'v1.2', outcome: 'created' }
    ])
    expect(refs().get('refs/tags/v1')).toBe(headSha)
    expect(refs().get('refs/tags/v1.2')).toBe(headSha)

    const next = github.store.pushCommit(owner, repo, 'main', { 'lib/mast.ex': 'v1.3' })
    mixVersion('1.3.0')
    const second = await release({ majorTag: true, commitSha: next })
    expect(second.result.movingTags).toEqual([
      { tag: 'v1', outcome: 'moved' },
      { tag: 'v1.3', outcome: 'created' }
    ])
    expect([refs().get('refs/tags/v1'), refs().get('refs/tags/v1.2'), refs().get('refs/tags/v1.3')]).toEqual([next, headSha, next])
    expect(second.reporter.summary()).toMatch(/moved `v1`, `v1\.3`/)
    // No release for a moving tag.
    expect(releases().map(r => r.tagName)).toEqual(['v1.2.3', 'v1.3.0'])
  })

  it('replaces an annotated v1 tag by a ref to the commit itself', async () => {
    const repository = github.store.repo(owner, repo)
    const tagObject = github.store.addTag(repository, {
      tag: 'v1',
      message: 'old',
      object: headSha,
      objectType: 'commit',
      tagger: { name: 'x', email: 'x@y', date: '2020-01-01T00:00:00Z' }
    })
    refs().set('refs/tags/v1', tagObject)
    mixVersion('1.0.0')
    const { result } = await release({ majorTag: true })
    expect(result.movingTags).toContainEqual({ tag: 'v1', outcome: 'moved' })
    expect(refs().get('refs/tags/v1')).toBe(headSha)
  })

  it('reports a ruleset refusing to move v1 (GH013) and still keeps the release', async () => {
    refs().set('refs/tags/v1', headSha)
    const next = github.store.pushCommit(owner, repo, 'main', { 'a.txt': 'a' })
    github.inject({ operation: 'graphql/updateRefs', ...faults.graphqlRuleViolation('updateRefs') })
    mixVersion('1.1.0')
    const { result, log } = await release({ majorTag: true, commitSha: next })
    expect(result).toMatchObject({ ok: false, status: 'released', releaseUrl: 'https://github.com/acme/mast/releases/tag/v1.1.0' })
    expect(result.failures).toHaveLength(1)
    expect(result.failures[0]).toMatch(
      /A repository rule blocked nix-ci from trying to move the tag v1 in acme\/mast: Repository rule violations found Cannot update this protected ref\. Allow GitHub Actions to bypass the ruleset/
    )
    expect(result.movingTags).toEqual([{ tag: 'v1.1', outcome: 'created' }])
    expect(log.join('')).toMatch(/error: A repository rule blocked nix-ci from trying to move the tag v1/)
  })

  it('explains an immutable release on a moving tag', async () => {
    github.store.repo(owner, repo).immutableReleases = true
    const octokit = testClient(github)
    await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1', target_commitish: headSha })
    const next = github.store.pushCommit(owner, repo, 'main', { 'a.txt': 'a' })
    mixVersion('1.0.0')
    const { result } = await release({ majorTag: true, commitSha: next })
    expect(result.failures[0]).toMatch(/delete the release of v1 \(nix-ci never makes releases for moving tags\)/)
    expect(refs().get('refs/tags/v1')).toBe(headSha)
    // The new release itself is immutable and fine.
    expect(releases().find(r => r.tagName === 'v1.0.0')?.immutable).toBe(true)
  })
})

describe('two runs at once', () => {
  it('creates one tag and one release when both race through every step', async () => {
    mixVersion('1.2.3')
    // Both runs reach each write before either is answered: the race happens every time.
    github.barrier('git/create-ref', 2)
    github.barrier('repos/create-release', 2)
    const [a, b] = await Promise.all([release({ majorTag: true }), release({ majorTag: true })])
    expect([a.result.ok, b.result.ok]).toEqual([true, true])
    expect(github.callsTo('git/create-tag')).toHaveLength(2)
    expect(github.callsTo('git/create-ref').filter(c => c.body && (c.body as { ref?: string }).ref === 'refs/tags/v1.2.3')).toHaveLength(1)
    expect(releases()).toHaveLength(1)
    expect(
      github
        .callsTo('repos/create-release')
        .map(c => c.status)
        .sort()
    ).toEqual([201, 422])
    expect(a.result.releaseUrl).toBe(b.result.releaseUrl)
    expect(objectAt('refs/tags/v1.2.3')).toMatchObject({ type: 'tag', object: headSha })
    expect(refs().get('refs/tags/v1')).toBe(headSha)
  })

  it('refuses the loser when a concurrent run tagged the same version on another commit', async () => {
    mixVersion('1.2.3')
    const other = github.store.pushCommit(owner, repo, 'main', { 'b.txt': 'b' })
    github.barrier('git/create-ref', 2)
    const [a, b] = await Promise.all([release(), release({ commitSha: other })])
    const results = [a.result, b.result]
    expect(results.filter(r => r.ok)).toHaveLength(1)
    const loser = results.find(r => !r.ok)
    expect(loser?.failures[0]).toMatch(/was just created on commit .* by another run, not on this commit .*: bump the version in mix\.exs/)
    expect(releases()).toHaveLength(1)
  })
})

describe('moving tags only move forward', () => {
  /** Released 1.2.3 on headSha with v1 and v1.2 there; commits for 1.2.4 and 1.2.5 pushed after it. */
  async function world(): Promise<{ c124: string; c125: string }> {
    mixVersion('1.2.3')
    await release({ majorTag: true })
    const c124 = github.store.pushCommit(owner, repo, 'main', { 'lib/mast.ex': '1.2.4' })
    const c125 = github.store.pushCommit(owner, repo, 'main', { 'lib/mast.ex': '1.2.5' })
    return { c124, c125 }
  }

  /** What the 1.2.5 run leaves behind once it is done: its tag, its release, v1 and v1.2 on its commit. */
  function release125Lands(c125: string): void {
    const repository = github.store.repo(owner, repo)
    const tagger = { name: 'github-actions[bot]', email: 'bot@example.invalid', date: '2025-01-01T00:00:00Z' }
    refs().set(
      'refs/tags/v1.2.5',
      github.store.addTag(repository, { tag: 'v1.2.5', message: 'Release 1.2.5', object: c125, objectType: 'commit', tagger })
    )
    github.store.createRelease(repository, {
      tagName: 'v1.2.5',
      target: c125,
      draft: false,
      prerelease: false,
      generateNotes: false,
      webUrl: 'https://github.com'
    })
    refs().set('refs/tags/v1', c125)
    refs().set('refs/tags/v1.2', c125)
  }

  it('leaves v1 and v1.2 on 1.2.5 when 1.2.5 lands while 1.2.4 is still publishing', async () => {
    const { c124, c125 } = await world()
    github.beforeNext('repos/create-release', () => release125Lands(c125))
    mixVersion('1.2.4')
    const { result, reporter } = await release({ majorTag: true, commitSha: c124 })

    expect(result).toMatchObject({ ok: true, status: 'released', tag: 'v1.2.4' })
    expect(refs().get('refs/tags/v1')).toBe(c125)
    expect(refs().get('refs/tags/v1.2')).toBe(c125)
    expect(result.movingTags).toEqual([
      { tag: 'v1', outcome: 'newer' },
      { tag: 'v1.2', outcome: 'newer' }
    ])
    expect(reporter.summary()).not.toMatch(/moved/)
  })

  it('leaves them on 1.2.5 when 1.2.5 moves them just before 1.2.4 does (compare-and-swap)', async () => {
    const { c124, c125 } = await world()
    let landed = false
    const land = () => {
      if (!landed) release125Lands(c125)
      landed = true
    }
    // Whichever API moves the tag, 1.2.5's run gets there first.
    github.beforeNext('git/update-ref', land)
    github.beforeNext('graphql/updateRefs', land)
    mixVersion('1.2.4')
    const { result } = await release({ majorTag: true, commitSha: c124 })

    expect(landed).toBe(true)
    expect(result.ok).toBe(true)
    expect(refs().get('refs/tags/v1')).toBe(c125)
    expect(refs().get('refs/tags/v1.2')).toBe(c125)
    expect(result.movingTags.map(m => m.outcome)).toEqual(['newer', 'newer'])
  })

  it('two real runs at once, 1.2.4 and 1.2.5: v1 and v1.2 end on 1.2.5 whichever finishes last', async () => {
    const { c124, c125 } = await world()
    const dir124 = mkdtempSync(join(tmpdir(), 'nix-ci-release-124-'))
    const dir125 = mkdtempSync(join(tmpdir(), 'nix-ci-release-125-'))
    try {
      for (const [dir, version] of [
        [dir124, '1.2.4'],
        [dir125, '1.2.5']
      ]) {
        writeFileSync(
          join(dir, 'mix.exs'),
          `defmodule Mast.MixProject do\n  def project do\n    [app: :mast, version: "${version}"]\n  end\nend\n`
        )
      }
      // Both publish together, so both decided on the tags as they were before either.
      github.barrier('repos/create-release', 2)
      const [a, b] = await Promise.all([
        release({ majorTag: true, commitSha: c124, cwd: dir124 }),
        release({ majorTag: true, commitSha: c125, cwd: dir125 })
      ])
      expect([a.result.ok, b.result.ok]).toEqual([true, true])
      expect(refs().get('refs/tags/v1')).toBe(c125)
      expect(refs().get('refs/tags/v1.2')).toBe(c125)
    } finally {
      rmSync(dir124, { recursive: true, force: true })
      rmSync(dir125, { recursive: true, force: true })
    }
  })
})

describe('GitHub errors', () => {
  it('shows the permissions block to add when the token cannot write contents', async () => {
    mixVersion('1.2.3')
    github.inject({ operation: 'git/create-tag', ...faults.notAccessibleByIntegration() })
    const { result } = await release()
    expect(result).toMatchObject({ ok: false, status: 'failed' })
    expect(result.failures[0]).toMatch(
      /GitHub refused to release v1\.2\.3 in acme\/mast: the workflow token lacks a permission \(Resource not accessible by integration\)\. Add this to the workflow or job:\npermissions:\n {2}contents: write\n/
    )
    expect(releases()).toHaveLength(0)
  })

  it('says the token cannot see the repository on a 404', async () => {
    mixVersion('1.2.3')
    const { result } = await release({ repo: 'missing' })
    expect(result.failures[0]).toMatch(/404 Not Found while trying to read the tags in acme\/missing: the token cannot see this repository/)
  })

  it('says to push the commit when GitHub does not know it', async () => {
    mixVersion('1.2.3')
    const { result } = await release({ commitSha: 'c'.repeat(40) })
    expect(result.failures[0]).toMatch(/The commit c{40} is not on GitHub: push it before releasing/)
  })

  it('rides out a secondary rate limit and a server error on the way', async () => {
    mixVersion('1.2.3')
    github.inject({ operation: 'repos/create-release', ...faults.secondaryRateLimit(0) })
    github.inject({ operation: 'git/create-ref', ...faults.serverError(502) })
    const { result } = await release()
    expect(result).toMatchObject({ ok: true, status: 'released' })
    expect(github.callsTo('repos/create-release').map(c => c.status)).toEqual([403, 201])
    expect(github.callsTo('git/create-ref').map(c => c.status)).toEqual([502, 201])
  })
})
