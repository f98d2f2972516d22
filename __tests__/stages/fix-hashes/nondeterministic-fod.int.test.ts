// A fixed-output derivation whose output changes from one build to the next has no hash to pin:
// the first build's output is found in the store under its `got` path, so a verify round alone
// would call the fix verified. Each fix is rebuilt once in check mode before it is kept.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseInputs } from '../../../src/inputs.js'
import { runPipeline } from '../../../src/pipeline.js'
import { hashesSummary } from '../../../src/stages/fix-hashes/hashes-report.js'
import { useCleanup } from '../../support/cleanup.js'
import { Fixture, REPO_ROOT, createFixture, testNix } from '../../support/fixtures.js'
import { recordingReporter } from '../../support/reporting.js'

const track = useCleanup()

async function fixHashes(f: Fixture) {
  const inputs = parseInputs(name => ({ systems: 'x86_64-linux', 'fix-hashes': 'write', 'vm-test': 'off', cache: 'false' })[name])
  const result = await runPipeline(inputs, { nix: testNix(), reporter: recordingReporter(), cwd: f.dir, actionDir: REPO_ROOT })
  return result.hashes!
}

describe('fix-hashes and nondeterministic fixed-output derivations', () => {
  it('reports a FOD that writes a random value as nondeterministic, with advice, and keeps no hash for it', async () => {
    const f = createFixture({
      systems: ['x86_64-linux'],
      fods: [
        {
          attr: 'mast-mix-deps',
          content: '',
          script: 'printf "%s " "$salt" > $out; head -c 16 /dev/urandom | od -An -tx1 >> $out',
          hash: 'stale'
        }
      ],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    track(f)
    const before = readFileSync(join(f.dir, 'flake.nix'))
    const hashes = await fixHashes(f)
    expect(hashes.fixes).toEqual([])
    expect(hashes.status).toBe('failed')
    const problem = hashes.problems.find(p => p.kind === 'nondeterministic')
    expect(problem?.derivation).toBe('mast-mix-deps-0.1.0')
    expect(problem?.message).toMatch(/different output each time it is built \(sha256-\S+, then sha256-\S+\)/)
    expect(problem?.message).toMatch(/timestamps/)
    expect(readFileSync(join(f.dir, 'flake.nix')).equals(before)).toBe(true)
    expect(hashesSummary(hashes, true)).toMatch(/\*\*nondeterministic\*\*/)
  })

  it('still keeps the fix of a FOD that builds the same bytes every time', async () => {
    const f = createFixture({
      systems: ['x86_64-linux'],
      fods: [{ attr: 'mast-mix-deps', content: 'phoenix 1.7.14', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    track(f)
    const hashes = await fixHashes(f)
    expect(hashes.status).toBe('fixed')
    expect(hashes.fixes.map(x => x.new)).toEqual([f.correctHash['mast-mix-deps']])
  })
})
