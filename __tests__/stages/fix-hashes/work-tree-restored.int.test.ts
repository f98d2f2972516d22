// Whatever stops fix-hashes half way (a cancellation during the verify round), the work tree goes
// back to exactly how it was found: no unverified hash is left behind.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseInputs } from '../../../src/inputs.js'
import { runPipeline } from '../../../src/pipeline.js'
import { useCleanup } from '../../support/cleanup.js'
import { REPO_ROOT, createFixture, testNix } from '../../support/fixtures.js'
import { recordingReporter } from '../../support/reporting.js'

const track = useCleanup()

describe('fix-hashes and the work tree', () => {
  it('restores every byte when the run is cancelled during the verify round', async () => {
    const f = createFixture({
      systems: ['x86_64-linux'],
      fods: [{ attr: 'mast-mix-deps', content: 'deps', hash: 'stale' }],
      // The package only builds in the verify round (its FOD fails before): it stalls there.
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'], script: 'echo nix-ci-verify-started; sleep 600' }]
    })
    track(f)
    const before = readFileSync(join(f.dir, 'flake.nix'))
    const controller = new AbortController()
    const reporter = recordingReporter(text => {
      if (text.includes('nix-ci-verify-started')) controller.abort()
    })
    const inputs = parseInputs(name => ({ systems: 'x86_64-linux', 'fix-hashes': 'write', 'vm-test': 'off', cache: 'false' })[name])
    const started = Date.now()
    const result = await runPipeline(inputs, { nix: testNix(), reporter, cwd: f.dir, actionDir: REPO_ROOT, signal: controller.signal })
    expect(Date.now() - started).toBeLessThan(120_000)
    expect(controller.signal.aborted).toBe(true)
    expect(result.hashes?.fixes ?? []).toEqual([])
    expect(readFileSync(join(f.dir, 'flake.nix')).equals(before)).toBe(true)
    expect(f.git('status', '--porcelain')).toBe('')
  })
})
