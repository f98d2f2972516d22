// One job per system and one aggregate, for real: each "matrix job" runs the pipeline for its
// system with real Nix and hands its result on with the real @actions/artifact client; the
// aggregate job downloads them from the same local artifact service (Twirp + blob storage) and
// decides. Both jobs run on this machine (aarch64 under QEMU), each with its own runtime token.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { aggregateSummary } from '../../../src/stages/aggregate/aggregate-stage.js'
import type { FixtureSpec } from '../../support/fixtures.js'
import { cleanResult } from '../pull-request/world.js'
import { BOTH, matrixWorld } from './world.js'

const { artifacts, fixture, job } = matrixWorld()

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
    expect(artifacts().artifacts.map(a => [a.name, a.state])).toEqual([
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
    expect(artifacts().calls).toContain('GetSignedArtifactURL')
  })
})

describe('aggregate summary', () => {
  it('one table row per system, missing ones included', () => {
    const text = aggregateSummary({
      systems: [{ system: 'riscv64-linux', state: 'missing', reason: "no artifact 'nix-ci-result-riscv64-linux' in this workflow run" }],
      allGreen: false,
      hashes: { ...cleanResult(), rounds: 0 }
    })
    expect(text).toContain('### nix-ci matrix: not every system is green')
    expect(text).toMatch(/\| `riscv64-linux` \| ⛔ missing \|/)
  })
})
