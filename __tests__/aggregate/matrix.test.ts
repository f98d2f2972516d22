// One job per system and one aggregate, for real: each "matrix job" runs the pipeline for its
// system with real Nix and hands its result on with the real @actions/artifact client; the
// aggregate job downloads them from the same local artifact service (Twirp + blob storage) and
// decides. Both jobs run on this machine (aarch64 under QEMU), each with its own runtime token.
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseInputs } from '../../src/inputs.js'
import { runPipeline } from '../../src/pipeline.js'
import { aggregateSummary } from '../../src/stages/aggregate/aggregate-stage.js'
import { ArtifactTestServer, startArtifactServer } from '../support/artifact-server/index.js'
import { Fixture, FixtureSpec, REPO_ROOT, createFixture, testNix } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'

const BOTH = ['x86_64-linux', 'aarch64-linux']
let server: ArtifactTestServer
const fixtures: Fixture[] = []
const saved = { token: process.env.ACTIONS_RUNTIME_TOKEN, url: process.env.ACTIONS_RESULTS_URL }

// One workflow run per test: a fresh service.
beforeEach(async () => {
  server = await startArtifactServer()
})
afterEach(async () => {
  while (fixtures.length) fixtures.pop()?.cleanup()
  await server.stop()
  expect(server.violations).toEqual([])
})
afterAll(() => {
  for (const [name, value] of [['ACTIONS_RUNTIME_TOKEN', saved.token], ['ACTIONS_RESULTS_URL', saved.url]] as const) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

function fixture(spec: FixtureSpec): Fixture {
  const f = createFixture(spec)
  fixtures.push(f)
  return f
}

/** One job of the run: its own runtime token, the action's inputs, the real pipeline. */
async function job(jobId: string, f: Fixture, inputs: Record<string, string>) {
  Object.assign(process.env, server.jobEnv(jobId))
  const reporter = recordingReporter()
  const parsed = parseInputs(name => ({ flake: f.dir, 'vm-test': 'off', cache: 'false', 'fix-hashes': 'pull-request', ...inputs })[name])
  const result = await runPipeline(parsed, { nix: testNix(), reporter, cwd: f.dir, actionDir: REPO_ROOT })
  return { result, reporter }
}

const twoFods = (): FixtureSpec => ({
  systems: BOTH,
  fods: [
    { attr: 'mast-mix-deps', content: 'plug 1.16.1', hash: 'stale' },
    // A precompiled NIF: its bytes depend on the platform that fetched it.
    { attr: 'mast-nif', content: '', script: 'uname -m > $out', hash: 'stale' }
  ],
  packages: [{ attr: 'mast', fods: ['mast-mix-deps', 'mast-nif'] }]
})

describe('matrix + aggregate', () => {
  it('keeps the hash every system agrees on, reports the one they disagree on as a platform conflict, and writes one summary', async () => {
    const f = fixture(twoFods())
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    for (const system of BOTH) {
      const { result } = await job(`build-${system}`, f, { systems: system, matrix: 'build' })
      // The stale hashes are the aggregate's to fix: the matrix job only verified them.
      expect(result.hashes?.fixes.map(x => x.name).sort()).toEqual(['mast-mix-deps-0.1.0', 'mast-nif-0.1.0'])
      expect(readFileSync(join(f.dir, 'flake.nix'), 'utf8')).toBe(before)
    }
    expect(server.artifacts.map(a => [a.name, a.state])).toEqual([
      ['nix-ci-result-x86_64-linux', 'finalized'],
      ['nix-ci-result-aarch64-linux', 'finalized']
    ])

    const { result, reporter } = await job('aggregate', f, { systems: BOTH.join(' '), matrix: 'aggregate' })
    const hashes = result.hashes!
    expect(hashes.fixes.map(x => [x.name, x.systems])).toEqual([['mast-mix-deps-0.1.0', ['aarch64-linux', 'x86_64-linux']]])
    expect(hashes.problems).toHaveLength(1)
    expect(hashes.problems[0]).toMatchObject({ kind: 'platform-conflict', derivation: 'mast-nif-0.1.0' })
    expect(hashes.problems[0].message).toMatch(/x86_64-linux verified sha256-.*aarch64-linux verified sha256-/)
    // The agreed fix is in the checkout; the conflicting hash is left as it was.
    const after = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    expect(after).toContain(hashes.fixes[0].new)
    expect(after).not.toContain(hashes.fixes[0].old)
    const nifOld = /the file has (\S+)\)/.exec(hashes.problems[0].message)?.[1] as string
    expect(after).toContain(nifOld)
    expect(result.ok).toBe(false)
    // Each system's build with the stale hashes failed; what each verified is what counts here.
    expect(reporter.text()).toMatch(/x86_64-linux: failed \(Nix 2\.\d+\.\d+\), 2 verified hash fix\(es\)/)
    expect(server.calls).toContain('GetSignedArtifactURL')
  })

  it('a missing system and a failed system: named in the summary, and the run is not green (no release)', async () => {
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast', scriptFor: { 'aarch64-linux': 'echo "cc: fatal error" >&2; exit 3' } }] })
    await job('build-aarch64', f, { systems: 'aarch64-linux', matrix: 'build' })
    const { result, reporter } = await job('aggregate-2', f, { systems: 'x86_64-linux aarch64-linux riscv64-linux', matrix: 'aggregate', release: 'tag' })
    expect(result.ok).toBe(false)
    expect(result.failures).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^x86_64-linux: no artifact 'nix-ci-result-x86_64-linux' in this workflow run$/),
        expect.stringMatching(/^aarch64-linux: failed: Failed: mast-0\.1\.0/),
        expect.stringMatching(/^riscv64-linux: no artifact/)
      ])
    )
    // No release without every system green, and no release attempt at all outside GitHub here.
    expect(result.release).toBeUndefined()
    expect(reporter.text()).toMatch(/aarch64-linux: failed/)
  })
})

describe('aggregate summary', () => {
  it('one table row per system, missing ones included', () => {
    const text = aggregateSummary({
      systems: [{ system: 'riscv64-linux', state: 'missing', reason: "no artifact 'nix-ci-result-riscv64-linux' in this workflow run" }],
      allGreen: false,
      hashes: { status: 'clean', fixes: [], problems: [], writtenFiles: [], rounds: 0, rechecked: [], nixVersion: '2.8.0' }
    })
    expect(text).toContain('### nix-ci matrix: not every system is green')
    expect(text).toMatch(/\| `riscv64-linux` \| ⛔ missing \|/)
  })
})
