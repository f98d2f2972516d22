// `outputs: all` through the whole build stage with real Nix: every attribute of both systems in
// one nix build per system, per-attribute results, the job summary's per-system tables (failures first, each
// with its failing derivation and last log lines) and `build-results`.
import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { NixCall, NixRunner } from '../../../src/nix/runner.js'
import { runBuildStage } from '../../../src/stages/build/build-stage.js'
import { parseOutputsSelection } from '../../../src/stages/build/select.js'
import { useCleanup } from '../../support/cleanup.js'
import { TEST_NIX_CONFIG } from '../../support/fixtures.js'
import { createOutputsFlake } from '../../support/outputs-fixture.js'
import { recordingReporter } from '../../support/reporting.js'

const track = useCleanup()

const BOTH = ['x86_64-linux', 'aarch64-linux']

describe('build stage with outputs: all', () => {
  it('builds every attribute of both systems, one nix build per system, and reports each, failures first', async () => {
    const f = createOutputsFlake(
      BOTH,
      `
      packages = builtins.listToAttrs (map (s: { name = s; value = { default = mk s "app" "mkdir -p $out; uname -m > $out/arch"; }; }) [ "x86_64-linux" "aarch64-linux" ]);
      checks.x86_64-linux.unit = mk "x86_64-linux" "unit-tests" "echo running unit tests; echo 'assertion failed: 1 == 2' >&2; exit 1";
      checks.x86_64-linux.lint = mk "x86_64-linux" "lint" "echo > $out";
      checks.aarch64-linux.unit = mk "aarch64-linux" "unit-tests" "echo > $out";
      devShells.x86_64-linux.default = mk "x86_64-linux" "dev-shell" "echo > $out";
      devShells.x86_64-linux.broken = throw "devShells.broken needs a compiler this flake does not pin";
      formatter.x86_64-linux = mk "x86_64-linux" "fmt" "echo > $out";
`
    )
    track(f)
    const calls: NixCall[] = []
    const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, callLog: calls })
    const reporter = recordingReporter()
    const result = await runBuildStage({
      flake: f.dir,
      package: 'default',
      systems: BOTH,
      nix,
      reporter,
      outputs: parseOutputsSelection('all')
    })

    expect(result.ok).toBe(false)
    const [x86, arm] = result.systems
    expect(x86.status).toBe('failed')
    expect(arm.status).toBe('built')
    // Failures first (the evaluation error and the failed check), then what built, in selection order.
    expect(x86.attributes?.map(a => [a.attrPath, a.status])).toEqual([
      ['devShells.x86_64-linux.broken', 'eval-failed'],
      ['checks.x86_64-linux.unit', 'failed'],
      ['packages.x86_64-linux.default', 'built'],
      ['checks.x86_64-linux.lint', 'built'],
      ['devShells.x86_64-linux.default', 'built'],
      ['formatter.x86_64-linux', 'built']
    ])
    expect(arm.attributes?.map(a => [a.attrPath, a.status])).toEqual([
      ['packages.aarch64-linux.default', 'built'],
      ['checks.aarch64-linux.unit', 'built']
    ])
    for (const a of [...(x86.attributes ?? []), ...(arm.attributes ?? [])].filter(a => a.status === 'built')) {
      expect(a.outPaths.every(p => existsSync(p))).toBe(true)
      expect(a.closureSize).toBeGreaterThan(0)
      expect(a.durationMs).toBeGreaterThanOrEqual(0)
    }
    const unit = x86.attributes?.find(a => a.attrPath === 'checks.x86_64-linux.unit')
    expect(unit?.failures.map(f => f.name)).toEqual(['unit-tests'])
    expect(unit?.failures[0].tail).toEqual(expect.arrayContaining(['running unit tests', 'assertion failed: 1 == 2']))
    const broken = x86.attributes?.[0]
    expect(broken?.evaluation).toEqual({
      message: 'devShells.broken needs a compiler this flake does not pin',
      position: expect.stringMatching(/^flake\.nix:\d+:\d+$/)
    })

    // One nix build per system (no fixed-output derivation to build natively first), one nix eval.
    expect(calls.filter(c => c.command === 'build')).toHaveLength(2)
    expect(calls.filter(c => c.command === 'eval')).toHaveLength(2)

    const summary = reporter.summary()
    expect(summary).toContain('#### `x86_64-linux`: 4 of 6 built')
    expect(summary).toContain('#### `aarch64-linux`: 2 of 2 built')
    expect(summary).toMatch(
      /\| `devShells\.x86_64-linux\.broken` \| ❌ evaluation failed \| – \| – \| `flake\.nix:\d+:\d+` \|\n\| `checks\.x86_64-linux\.unit` \| ❌ failed \| [^|]+ \| – \| `unit-tests` \|\n\| `packages\.x86_64-linux\.default` \| ✅ built \|/
    )
    expect(summary).toContain(`Failing derivation \`${unit?.failures[0].drvPath}\`, last log lines:`)
    expect(summary).toMatch(/```\n(.*\n)*assertion failed: 1 == 2\n(.*\n)*```/)
    expect(reporter.text()).toMatch(
      /error: checks\.x86_64-linux\.unit: Failed: unit-tests\nLast log lines of unit-tests:\n[^]*assertion failed/
    )

    const results = JSON.parse(reporter.outputs.get('build-results') ?? '')
    expect(results['aarch64-linux']).toMatchObject({
      status: 'built',
      drvPath: null,
      attributes: [
        { attrPath: 'packages.aarch64-linux.default', kind: 'packages', status: 'built' },
        { attrPath: 'checks.aarch64-linux.unit', kind: 'checks' }
      ]
    })
    expect(results['x86_64-linux'].attributes[1]).toMatchObject({
      attrPath: 'checks.x86_64-linux.unit',
      status: 'failed',
      failedDerivations: [unit?.failures[0].drvPath]
    })
    expect(results['x86_64-linux'].attributes[0]).toMatchObject({
      status: 'eval-failed',
      evaluation: { message: 'devShells.broken needs a compiler this flake does not pin' }
    })
    // out-paths lists only systems that built, with every attribute's outputs.
    expect(JSON.parse(reporter.outputs.get('out-paths') ?? '')).toEqual({ 'aarch64-linux': arm.outPaths })
    expect(arm.outPaths).toHaveLength(2)
  })

  it('does not build the attribute the VM test builds', async () => {
    const f = createOutputsFlake(
      ['x86_64-linux'],
      `
      checks.x86_64-linux.vm = mk "x86_64-linux" "vm-test" "echo built-the-vm-test; echo > $out";
      checks.x86_64-linux.unit = mk "x86_64-linux" "unit" "echo > $out";
`
    )
    track(f)
    const reporter = recordingReporter()
    const result = await runBuildStage({
      flake: f.dir,
      package: 'default',
      systems: ['x86_64-linux'],
      nix: new NixRunner({ nixConfig: TEST_NIX_CONFIG }),
      reporter,
      outputs: parseOutputsSelection('checks.*.*'),
      exclude: [{ attrPath: 'checks.x86_64-linux.vm', reason: 'the VM test stage builds it' }]
    })
    expect(result.ok).toBe(true)
    expect(result.systems[0].attributes?.map(a => a.attrPath)).toEqual(['checks.x86_64-linux.unit'])
    expect(result.builtDerivations.some(d => d.endsWith('-vm-test.drv'))).toBe(false)
    expect(reporter.text()).not.toContain('built-the-vm-test')
    expect(reporter.summary()).toContain('Left out: `checks.x86_64-linux.vm` (the VM test stage builds it).')
  })
})
