// The aggregate job's two deliveries against the spec-checked GitHub server: its one fix PR (a
// hash goes in only when every system verified the same value) and its release (only when every
// system is green). The matrix jobs are real: real Nix builds of each system (aarch64 under QEMU)
// hand their results on through the real @actions/artifact client and the local artifact service.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { GitHubTarget } from '../../../src/pipeline.js'
import { expectNoViolations, startGitHubServer, testClient, type GitHubTestServer } from '../../support/github-server/index.js'
import type { GitObject } from '../../support/github-server/store.js'
import type { Fixture } from '../../support/fixtures.js'
import { owner, pushContext, repo } from '../pull-request/world.js'
import { BOTH, matrixWorld } from './world.js'

const { artifacts, fixture, job } = matrixWorld()
const BRANCH = 'nix-ci/fix-hashes/main'
let github: GitHubTestServer

beforeEach(async () => {
  github = await startGitHubServer()
})
afterEach(async () => {
  await github.stop()
  expectNoViolations(github)
})

/** The fixture's commit on GitHub (its flake.nix, byte for byte), and the run's view of it: a push to main. */
function onGitHub(f: Fixture): GitHubTarget {
  const { headSha } = github.seedRepo({ owner, repo, files: { 'flake.nix': readFileSync(join(f.dir, 'flake.nix')) } })
  return { octokit: testClient(github), owner, repo, sha: headSha, context: pushContext(headSha) }
}

const store = () => github.store.repo(owner, repo)
const refNames = () => [...store().refs.keys()].sort()
const object = (sha: string) => github.store.object(store(), sha) as GitObject

/** flake.nix as committed on a branch of the server. */
function flakeOn(branch: string): string {
  const commit = object(store().refs.get(`refs/heads/${branch}`) as string) as Extract<GitObject, { type: 'commit' }>
  const entry = github.store.flattenTree(store(), commit.tree, '').get('flake.nix')
  return (object(entry?.sha as string) as Extract<GitObject, { type: 'blob' }>).content.toString('utf8')
}

/** Both systems' matrix jobs, each building its own system and uploading its result. */
async function matrixJobs(f: Fixture, target: GitHubTarget): Promise<void> {
  for (const system of BOTH) {
    const { result } = await job(`build-${system}`, f, { systems: system, matrix: 'build' }, target)
    expect(result.failures.filter(x => x.startsWith('Could not hand the result on'))).toEqual([])
  }
  expect(artifacts().artifacts.filter(a => a.state === 'finalized')).toHaveLength(2)
  // The matrix jobs deliver nothing to GitHub themselves.
  expect(refNames()).toEqual(['refs/heads/main'])
  expect(store().pulls).toEqual([])
}

describe('the aggregate job on GitHub', () => {
  it('every system verified the same new hash: one fix PR with that hash, on the built commit; no release while the hash is stale', async () => {
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-mix-deps', content: 'plug 1.16.1', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const target = onGitHub(f)
    await matrixJobs(f, target)

    const { result } = await job(
      'aggregate',
      f,
      { systems: BOTH.join(' '), matrix: 'aggregate', release: 'tag', 'version-from': '1.2.3' },
      target
    )
    const fix = result.hashes!.fixes
    // The hash both systems verified is the one the fixture's content really has.
    expect(fix.map(x => [x.name, x.new, x.systems])).toEqual([
      ['mast-mix-deps-0.1.0', f.correctHash['mast-mix-deps'], ['aarch64-linux', 'x86_64-linux']]
    ])
    expect(before).toContain(fix[0].old)
    expect(result.pullRequest).toMatchObject({ ok: true, status: 'done', operation: 'created', number: 1, branch: BRANCH })

    // On GitHub: one open PR from the fix branch, one commit on the built commit, holding the
    // checkout's flake.nix with exactly that hash replaced.
    const pulls = store().pulls
    expect(pulls.map(p => [p.state, p.headRef, p.baseRef])).toEqual([['open', BRANCH, 'main']])
    expect(pulls[0].body).toContain(fix[0].new)
    const head = object(store().refs.get(`refs/heads/${BRANCH}`) as string) as Extract<GitObject, { type: 'commit' }>
    expect(head.parents).toEqual([target.sha])
    expect(flakeOn(BRANCH)).toBe(before.replace(fix[0].old, fix[0].new))

    // Both builds failed on the stale hash: not green, so no tag and no release.
    expect(result.release).toMatchObject({ ok: false, status: 'refused' })
    expect(refNames().filter(r => r.startsWith('refs/tags/'))).toEqual([])
    expect(store().releases).toEqual([])
  })

  it('the systems verified different hashes: no fix PR and no branch, the platform-conflict report instead', async () => {
    // A precompiled NIF: its bytes depend on the platform that fetched it.
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-nif', content: '', script: 'uname -m > $out', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-nif'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const target = onGitHub(f)
    await matrixJobs(f, target)

    const { result, reporter } = await job('aggregate', f, { systems: BOTH.join(' '), matrix: 'aggregate' }, target)
    const hashes = result.hashes!
    expect(hashes.fixes).toEqual([])
    expect(hashes.problems.map(p => [p.kind, p.derivation])).toEqual([['platform-conflict', 'mast-nif-0.1.0']])
    expect(hashes.problems[0].message).toMatch(/x86_64-linux verified (sha256-\S+), aarch64-linux verified (?!\1)sha256-/)
    expect(result.pullRequest).toMatchObject({ ok: true, status: 'skipped', operation: 'none' })
    expect(result.pullRequest?.message).toMatch(/No verified fix to propose: 1 stale hash problem/)
    expect(refNames()).toEqual(['refs/heads/main'])
    expect(store().pulls).toEqual([])
    expect(readFileSync(join(f.dir, 'flake.nix'), 'utf8')).toBe(before)
    expect(reporter.text()).toMatch(/the systems disagree on its hash/)
    expect(result.ok).toBe(false)
  })

  it('a failed and a missing system: no tag and no release on GitHub', async () => {
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast', scriptFor: { 'aarch64-linux': 'echo "cc: fatal error" >&2; exit 3' } }] })
    const target = onGitHub(f)
    await job('build-aarch64', f, { systems: 'aarch64-linux', matrix: 'build' }, target)
    const { result, reporter } = await job(
      'aggregate',
      f,
      { systems: 'x86_64-linux aarch64-linux riscv64-linux', matrix: 'aggregate', release: 'tag', 'version-from': '1.2.3' },
      target
    )
    expect(result.ok).toBe(false)
    expect(result.failures).toEqual(
      expect.arrayContaining([
        "x86_64-linux: no artifact 'nix-ci-result-x86_64-linux' in this workflow run",
        expect.stringMatching(/^aarch64-linux: failed: Failed: mast-0\.1\.0/),
        "riscv64-linux: no artifact 'nix-ci-result-riscv64-linux' in this workflow run"
      ])
    )
    expect(result.release).toMatchObject({ ok: false, status: 'refused' })
    // The refusal names what is not green, not a build this job never ran.
    expect(result.release?.failures[0]).toMatch(
      /^Not releasing: the build failed for aarch64-linux; no matrix job handed on a result for x86_64-linux, riscv64-linux\./
    )
    expect(refNames()).toEqual(['refs/heads/main'])
    expect(store().releases).toEqual([])
    expect(reporter.text()).toMatch(/aarch64-linux: failed/)
  })

  it('every system green: the tag and the release exist on GitHub, on the built commit; a system missing from the same run holds them back', async () => {
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const target = onGitHub(f)
    await matrixJobs(f, target)
    const inputs = { matrix: 'aggregate', release: 'tag', 'version-from': '1.2.3' }

    // The same two artifacts, but the aggregate expects a third system: not green.
    const held = await job('aggregate-three', f, { ...inputs, systems: `${BOTH.join(' ')} riscv64-linux` }, target)
    expect(held.result.release).toMatchObject({ ok: false, status: 'refused' })
    expect(held.result.release?.failures[0]).toMatch(/^Not releasing: no matrix job handed on a result for riscv64-linux\./)
    expect(refNames()).toEqual(['refs/heads/main'])

    const { result } = await job('aggregate', f, { ...inputs, systems: BOTH.join(' ') }, target)
    expect(result.failures).toEqual([])
    expect(result.ok).toBe(true)
    expect(result.release).toMatchObject({
      ok: true,
      status: 'released',
      tag: 'v1.2.3',
      releaseUrl: 'https://github.com/acme/mast/releases/tag/v1.2.3'
    })
    const tag = object(store().refs.get('refs/tags/v1.2.3') as string)
    expect(tag).toMatchObject({ type: 'tag', tag: 'v1.2.3', object: target.sha, objectType: 'commit' })
    expect(store().releases.map(r => [r.tagName, r.draft, r.prerelease])).toEqual([['v1.2.3', false, false]])
    // Clean on every system: no fix branch either.
    expect(store().pulls).toEqual([])
  })
})
