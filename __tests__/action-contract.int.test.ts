// The bundle as GitHub runs it: `node dist/index.js` with INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files; and the CLI bundle as a user runs it.
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Fixture, REPO_ROOT, createFixture, testNix } from './support/fixtures.js'
import { startCacheServer } from './support/cache-server/server.js'
import { useCleanup, useTempDirs } from './support/cleanup.js'
import { expectNoViolations, startGitHubServer } from './support/github-server/index.js'
import { actionRunner } from './support/run-action.js'

const OFFLINE = 'sandbox = true\nsubstituters ='
const track = useCleanup()
const tempDirs = useTempDirs(track)
const tempDir = () => tempDirs('nix-ci-run-')
/** A test server, stopped after the test (without waiting for it, as before). */
const stopAfter = (server: { stop(): Promise<void> }) => track({ cleanup: () => void server.stop() })
const { runAction, runActionAsync } = actionRunner(tempDir)

function fixture(): Fixture {
  const f = createFixture({
    systems: ['x86_64-linux', 'aarch64-linux'],
    fods: [{ attr: 'mast-mix-deps', content: 'bandit 1.5.7' }],
    packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
  })
  return track(f)
}

describe('node dist/index.js (the GitHub contract)', () => {
  it('builds the flake in GITHUB_WORKSPACE and writes outputs, groups and a job summary', () => {
    const f = fixture()
    const run = runAction({ 'fix-hashes': 'off', 'vm-test': 'off', cache: 'false', 'extra-nix-config': OFFLINE }, f.dir)
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('::group::Build x86_64-linux, aarch64-linux (2 nix builds, one per system, native first)')
    expect(run.stdout).toContain('::group::aarch64-linux (emulated): built')
    const outPaths = JSON.parse(run.outputs['out-paths'])
    expect(Object.keys(outPaths)).toEqual(['x86_64-linux', 'aarch64-linux'])
    expect(readFileSync(join(outPaths['aarch64-linux'][0], 'arch'), 'utf8').trim()).toBe('aarch64')
    expect(JSON.parse(run.outputs['build-results'])['aarch64-linux']).toMatchObject({ status: 'built', mode: 'emulated' })
    expect(run.outputs['vm-test-result']).toBe('skipped')
    expect(run.summary).toMatch(/\| `aarch64-linux` \| emulated \| ✅ built \|/)
  })

  it('says plainly what it cannot do outside GitHub: release, and fix pull requests', () => {
    const f = fixture()
    const run = runAction({ release: 'tag', 'version-from': '1.0.0', 'extra-nix-config': OFFLINE }, f.dir)
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/::error title=release%3A no GitHub repository::release: tag needs the repository and a token/)
    // The default fix-hashes mode finds no stale hash here, and says there is no PR to look after.
    expect(run.stdout).toMatch(
      /::notice::fix-hashes: pull-request: no stale hash; outside GitHub Actions there is no fix pull request to look after/
    )
    expect(run.stdout).toMatch(/Nix store cache off for this run: the Actions cache service is not available here/)
    // vm-test: auto skips a flake without nixosModules.default, and says so.
    expect(run.outputs['vm-test-result']).toBe('skipped')
    expect(run.outputs['tag']).toBeUndefined()
  })

  it('tags and releases through the GitHub API after a green build (spec-checked local GitHub)', async () => {
    const f = fixture()
    const github = await startGitHubServer()
    stopAfter(github)
    const { headSha } = github.seedRepo({ owner: 'mast', repo: 'mast' })
    // A push to the default branch: the only kind of run that may release (besides release-branches).
    const event = join(tempDir(), 'event.json')
    writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main', repository: { id: 1, default_branch: 'main' } }))
    const run = await runActionAsync(
      {
        release: 'tag',
        'version-from': '1.4.0',
        'major-tag': 'true',
        'fix-hashes': 'off',
        'vm-test': 'off',
        cache: 'false',
        'github-token': 'ghs_secrettoken123',
        'extra-nix-config': OFFLINE
      },
      f.dir,
      {
        GITHUB_REPOSITORY: 'mast/mast',
        GITHUB_SHA: headSha,
        GITHUB_API_URL: github.url,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_EVENT_PATH: event
      }
    )
    // The token appears once, in the mask command that hides it from every later line.
    expect(run.stdout.split('ghs_secrettoken123').length - 1).toBe(1)
    expect(run.stdout).toContain('::add-mask::ghs_secrettoken123')
    expect(run.status).toBe(0)
    expect(run.outputs['version']).toBe('1.4.0')
    expect(run.outputs['tag']).toBe('v1.4.0')
    expect(run.outputs['release-url']).toMatch(/\/mast\/mast\/releases\/tag\/v1.4.0$/)
    expect(github.callsTo('repos/create-release')).toHaveLength(1)
    expectNoViolations(github)
  })

  it('fixes a stale hash end to end: real Nix verifies it, one commit and one PR on the spec-checked GitHub', async () => {
    const f = createFixture({
      systems: ['x86_64-linux'],
      fods: [{ attr: 'mast-mix-deps', content: 'e2e', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    track(f)
    const flakeBefore = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const github = await startGitHubServer()
    stopAfter(github)
    const { headSha } = github.seedRepo({ owner: 'mast', repo: 'mast', files: { 'flake.nix': { content: flakeBefore, mode: '100644' } } })
    const eventPath = join(tempDir(), 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({ ref: 'refs/heads/main', before: headSha, repository: { default_branch: 'main', full_name: 'mast/mast' } })
    )
    const env = {
      GITHUB_REPOSITORY: 'mast/mast',
      GITHUB_SHA: headSha,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_API_URL: github.url,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath
    }
    const inputs = {
      systems: 'x86_64-linux',
      'fix-hashes': 'pull-request',
      'vm-test': 'off',
      cache: 'false',
      'github-token': 'ghs_e2etoken',
      'extra-nix-config': OFFLINE
    }

    const run = await runActionAsync(inputs, f.dir, env)
    // The commit under test has a stale hash, so the run fails; the fix goes out as a PR.
    expect(run.status).toBe(1)
    expect(run.outputs['pull-request-operation']).toBe('created')
    const repo = github.store.repo('mast', 'mast')
    expect(repo.pulls).toHaveLength(1)
    expect(run.outputs['pull-request-number']).toBe(String(repo.pulls[0].number))
    const branchHead = repo.refs.get('refs/heads/nix-ci/fix-hashes/main') as string
    const commit = github.store.object(repo, branchHead) as { type: 'commit'; tree: string; parents: string[] }
    expect(commit.parents).toEqual([headSha])
    const file = github.store.flattenTree(repo, commit.tree).get('flake.nix')
    expect(file?.mode).toBe('100644')
    const committed = (github.store.object(repo, file?.sha ?? '') as { content: Buffer }).content.toString('utf8')
    expect(committed).toBe(flakeBefore.replace(/outputHash = "[^"]+"/, `outputHash = "${f.correctHash['mast-mix-deps']}"`))

    // A rerun on the same commit changes nothing on GitHub: still one branch commit, one PR.
    f.git('checkout', '--', 'flake.nix')
    const rerun = await runActionAsync(inputs, f.dir, env)
    expect(rerun.outputs['pull-request-operation']).toMatch(/^(updated|none)$/)
    expect(repo.pulls).toHaveLength(1)
    expect(repo.refs.get('refs/heads/nix-ci/fix-hashes/main')).toBe(branchHead)
    expectNoViolations(github)
  })

  it('saves the Nix store to the Actions cache, and a warm run restores it and builds nothing', async () => {
    const f = fixture()
    const cache = await startCacheServer()
    stopAfter(cache)
    const env = {
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_RESULTS_URL: `${cache.url}/`,
      ACTIONS_RUNTIME_TOKEN: cache.token,
      RUNNER_TEMP: tempDir()
    }
    // The packages' own outputs come back only signed: without the key, only fixed-output paths would.
    const keygen = ['--extra-experimental-features', 'nix-command', 'key', 'generate-secret', '--key-name', 'nix-ci-contract-1']
    const key = spawnSync('nix', keygen, { encoding: 'utf8' }).stdout.trim()
    const inputs = { 'fix-hashes': 'off', 'vm-test': 'off', cache: 'true', 'cache-signing-key': key, 'extra-nix-config': OFFLINE }
    const cold = await runActionAsync(inputs, f.dir, env)
    expect(cold.status).toBe(0)
    expect(cache.twirpCalls()).toEqual(expect.arrayContaining(['CreateCacheEntry', 'FinalizeCacheEntryUpload']))

    // Forget everything the cold run built, then run again: the cache must bring it back.
    const outPaths = Object.values(JSON.parse(cold.outputs['out-paths']) as Record<string, string[]>).flat()
    const closure = (await testNix().run({ args: ['path-info', '-r', ...outPaths], captureStdoutBytes: 1 << 20 })).stdout.trim().split('\n')
    const deleted = await testNix().run({ args: ['store', 'delete', ...closure] })
    expect(deleted.exitCode).toBe(0)
    const warm = await runActionAsync(inputs, f.dir, env)
    expect(warm.status).toBe(0)
    const results = JSON.parse(warm.outputs['build-results'])
    expect(results['x86_64-linux'].alreadyValid).toBe(true)
    expect(results['aarch64-linux'].alreadyValid).toBe(true)
    expect(warm.stdout).not.toContain("building '")
    expect(warm.summary).toMatch(/hit/i)
  })

  it('with the default fix-hashes mode, a clean pull request run passes without touching GitHub', async () => {
    const f = fixture()
    const github = await startGitHubServer()
    stopAfter(github)
    const { headSha } = github.seedRepo({ owner: 'mast', repo: 'mast' })
    const eventPath = join(tempDir(), 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({
        pull_request: {
          number: 3,
          head: { ref: 'bump', sha: headSha, repo: { full_name: 'mast/mast' } },
          base: { ref: 'main', sha: headSha },
          user: { login: 'dependabot[bot]' }
        }
      })
    )
    const run = await runActionAsync(
      { systems: 'x86_64-linux', 'vm-test': 'off', cache: 'false', 'github-token': 'ghs_pr', 'extra-nix-config': OFFLINE },
      f.dir,
      {
        GITHUB_REPOSITORY: 'mast/mast',
        GITHUB_SHA: headSha,
        GITHUB_REF: 'refs/pull/3/merge',
        GITHUB_API_URL: github.url,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventPath
      }
    )
    expect(run.status).toBe(0)
    expect(run.stdout).not.toContain('::error')
    expect(github.calls).toEqual([])
  })

  it('refuses to build a fork under pull_request_target, before any Nix call', async () => {
    const eventPath = join(tempDir(), 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({
        pull_request: {
          number: 7,
          head: { ref: 'main', sha: 'a'.repeat(40), repo: { full_name: 'mallory/mast' } },
          base: { ref: 'main', sha: 'b'.repeat(40) },
          user: { login: 'mallory' }
        }
      })
    )
    const run = await runActionAsync({ 'github-token': 'ghs_x' }, tempDir(), {
      GITHUB_REPOSITORY: 'mast/mast',
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_EVENT_PATH: eventPath,
      PATH: '/nonexistent'
    })
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/::error::Refusing to build pull request #7 from the fork mallory\/mast under 'pull_request_target'/)
    expect(run.stdout).not.toContain('::group::')
  })

  it('fails at once on a bad input, naming the input, the value and the fix', () => {
    const run = runAction({ systems: 'x86_64-linux amd64-linux' }, tempDir())
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(
      /::error::Input 'systems' has the value 'amd64-linux', which is not allowed: unknown system; known systems are x86_64-linux, aarch64-linux/
    )
  })
})

describe('dist/cli.js (the terminal contract)', () => {
  it('runs the build stage on a flake and prints its outputs as JSON', () => {
    const f = fixture()
    const cli = spawnSync(
      'node',
      [join(REPO_ROOT, 'dist/cli.js'), 'build', '--flake', f.dir, '--systems', 'x86_64-linux', '--extra-nix-config', OFFLINE, '--json'],
      {
        encoding: 'utf8',
        timeout: 240_000
      }
    )
    expect(cli.status).toBe(0)
    const outputs = JSON.parse(cli.stdout)
    expect(outputs['build-results']['x86_64-linux'].status).toBe('built')
    expect(cli.stderr).toContain('▶ x86_64-linux (native): built')
    expect(cli.stderr).toContain('| `x86_64-linux` | native | ✅ built |')
  })

  it('fix-hashes reports a stale hash as JSON and leaves the files alone; --write keeps the verified fix', () => {
    const f = createFixture({
      systems: ['x86_64-linux'],
      fods: [{ attr: 'mast-mix-deps', content: 'cli', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    track(f)
    const cli = (...args: string[]) =>
      spawnSync(
        'node',
        [
          join(REPO_ROOT, 'dist/cli.js'),
          'fix-hashes',
          '--flake',
          f.dir,
          '--systems',
          'x86_64-linux',
          '--extra-nix-config',
          OFFLINE,
          ...args
        ],
        { encoding: 'utf8', timeout: 240_000 }
      )
    const report = cli('--json')
    expect(report.status).toBe(1)
    const [mismatch] = JSON.parse(report.stdout)['hash-mismatches']
    expect(mismatch).toMatchObject({ file: 'flake.nix', new: f.correctHash['mast-mix-deps'], systems: ['x86_64-linux'] })
    expect(f.git('status', '--porcelain')).toBe('')
    const write = cli('--write')
    expect(write.status).toBe(1)
    expect(readFileSync(join(f.dir, 'flake.nix'), 'utf8')).toContain(`outputHash = "${f.correctHash['mast-mix-deps']}"`)
    expect(f.git('diff', '--numstat')).toBe('1\t1\tflake.nix')
    expect(cli().status).toBe(0)
  })

  it('explain reads a saved log from a file or stdin and prints findings with their fix', () => {
    const log = join(REPO_ROOT, '__tests__/fixtures/nix-logs/nix-2.8-single.stderr.log')
    const people = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'explain', log], { encoding: 'utf8' })
    expect(people.status).toBe(0)
    expect(people.stdout).toMatch(/mast-mix-deps-0\.1\.0/)
    const json = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'explain', '-', '--json'], {
      input: readFileSync(log),
      encoding: 'utf8'
    })
    expect(json.status).toBe(0)
    const findings = JSON.parse(json.stdout)
    expect(Object.keys(findings)).toEqual([
      'fodMismatches',
      'otherHashErrors',
      'platformMismatches',
      'execFormatErrors',
      'vmTests',
      'failedBuilds',
      'advice'
    ])
    expect(findings.fodMismatches).toEqual([
      expect.objectContaining({ specified: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', source: 'nix' })
    ])
    expect(findings.advice[0]).toMatch(/nix-ci fix-hashes --write/)
  })

  it('refuses unknown stages and unknown options, with usage', () => {
    const unknownStage = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'deploy'], { encoding: 'utf8' })
    expect(unknownStage.status).toBe(2)
    expect(unknownStage.stderr).toMatch(/unknown stage or extra argument 'deploy'[^]*Usage: nix-ci/)
    const unknown = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'build', '--flak', '.'], { encoding: 'utf8' })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown option '--flak'[^]*Usage: nix-ci/)
  })
})
