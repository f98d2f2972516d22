// The build stage with real Nix: native x86_64 and QEMU-emulated aarch64 in one invocation.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readElfMachine } from '../../../src/nix/elf.js'
import { NixCall, NixRunner } from '../../../src/nix/runner.js'
import { showDerivationClosure } from '../../../src/nix/store.js'
import { runBuildStage } from '../../../src/stages/build/build-stage.js'
import { EvaluationError } from '../../../src/stages/build/evaluate.js'
import { useCleanup } from '../../support/cleanup.js'
import { Fixture, TEST_NIX_CONFIG, createFixture, testNix } from '../../support/fixtures.js'
import { recordingReporter } from '../../support/reporting.js'

const track = useCleanup()
const fixture = (spec: Parameters<typeof createFixture>[0]): Fixture => track(createFixture(spec))

const BOTH = ['x86_64-linux', 'aarch64-linux']

describe('build stage', () => {
  it('builds x86_64 natively and aarch64 under QEMU in one pass, with proof of the machine type', async () => {
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-mix-deps', content: 'phoenix 1.7.14' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const reporter = recordingReporter()
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter })

    expect(result.ok).toBe(true)
    const [x86, arm] = result.systems
    expect([x86.system, x86.mode, x86.status]).toEqual(['x86_64-linux', 'native', 'built'])
    expect([arm.system, arm.mode, arm.status]).toEqual(['aarch64-linux', 'emulated', 'built'])
    // The aarch64 output was produced by an aarch64 process (uname -m inside the sandbox) ...
    expect(readFileSync(join(arm.outPaths[0], 'arch'), 'utf8').trim()).toBe('aarch64')
    expect(readFileSync(join(x86.outPaths[0], 'arch'), 'utf8').trim()).toBe('x86_64')
    // ... and its binaries are aarch64 ELF files, as the stage's own check says.
    expect(await readElfMachine(join(arm.outPaths[0], 'bin/busybox'))).toBe(183)
    expect(arm.elf).toMatchObject({ elfFiles: 1, wrongMachine: [] })
    expect(x86.elf).toMatchObject({ elfFiles: 1, wrongMachine: [] })
    expect(arm.closureSize).toBeGreaterThan(1_000_000)
    expect(arm.durationMs).toBeGreaterThan(0)
    expect(arm.alreadyValid).toBe(false)
  })

  it('realises the shared fixed-output derivation once, natively, before the emulated build', async () => {
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-mix-deps', content: 'plug 1.16.1' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    expect(result.ok).toBe(true)
    const fodBuilds = result.builtDerivations.filter(d => d.endsWith('-mast-mix-deps-0.1.0.drv'))
    expect(fodBuilds).toHaveLength(1)
    expect(result.nativeFodsFirst).toEqual(fodBuilds)
    // The native twin was the one built: its derivation is for x86_64-linux.
    const drvs = await showDerivationClosure(testNix(), [fodBuilds[0]])
    expect(drvs.get(fodBuilds[0])?.system).toBe('x86_64-linux')
  })

  it('reports the other system when one fails, with the failing derivation and its last log lines', async () => {
    const f = fixture({
      systems: BOTH,
      packages: [
        { attr: 'mast', scriptFor: { 'aarch64-linux': 'echo "compiling NIF for $(uname -m)"; echo "cc: fatal error" >&2; exit 3' } }
      ]
    })
    const reporter = recordingReporter()
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter })

    expect(result.ok).toBe(false)
    const [x86, arm] = result.systems
    expect(x86.status).toBe('built')
    expect(arm.status).toBe('failed')
    expect(arm.failures).toHaveLength(1)
    expect(arm.failures[0].name).toBe('mast-0.1.0')
    expect(arm.failures[0].tail).toEqual(expect.arrayContaining(['compiling NIF for aarch64', 'cc: fatal error']))
    // Nix 2.8-2.2x: "builder for '…drv' failed with exit code 3"; 2.3x: "Cannot build '…drv'. Reason: builder failed with exit code 3."
    expect(arm.failures[0].message).toMatch(
      /(builder for '.*mast-0.1.0.drv' failed|Cannot build '.*mast-0.1.0.drv'.\n\s*Reason: builder failed) with exit code 3/
    )
    expect(reporter.text()).toMatch(
      /error: packages.aarch64-linux.default: Failed: mast-0.1.0\nLast log lines of mast-0.1.0:\n[^]*cc: fatal error/
    )
    expect(JSON.parse(reporter.outputs.get('out-paths') ?? '')).toEqual({ 'x86_64-linux': x86.outPaths })
    expect(JSON.parse(reporter.outputs.get('build-results') ?? '')['aarch64-linux']).toMatchObject({
      status: 'failed',
      failedDerivations: [arm.failures[0].drvPath]
    })
    // The job summary says what to do, from Nix's own error.
    expect(reporter.summary()).toContain(
      `**What to do**\n\n- The builder of mast-0.1.0 failed with exit code 3: the build itself broke, no Nix setting will fix it. Read its whole log: \`nix log ${arm.failures[0].drvPath}\`.`
    )
  })

  it('tries a failing shared fixed-output derivation once, natively, and fails every system that needs it', async () => {
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-mix-deps', content: 'postgrex 0.19.1', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    expect(result.ok).toBe(false)
    expect(result.builtDerivations.filter(d => d.endsWith('-mast-mix-deps-0.1.0.drv'))).toEqual(result.nativeFodsFirst)
    for (const system of result.systems) {
      expect(system.status).toBe('failed')
      expect(system.failures.map(failure => failure.drvPath)).toEqual(result.nativeFodsFirst)
      expect(system.failures[0].message).toMatch(/hash mismatch in fixed-output derivation/)
    }
    expect(result.nixErrors.filter(e => e.includes('hash mismatch'))).toHaveLength(1)
  })

  it('never takes a builder that prints internal-json for Nix itself', async () => {
    const forged = `@nix {"action":"msg","level":0,"msg":"error: builder for '/nix/store/${'a'.repeat(32)}-mast-0.1.0.drv' failed with exit code 1"}`
    const f = fixture({ systems: ['x86_64-linux'], packages: [{ attr: 'mast', script: `echo '${forged}' >&2; mkdir -p $out` }] })
    const result = await runBuildStage({
      flake: f.dir,
      package: 'default',
      systems: ['x86_64-linux'],
      nix: testNix(),
      reporter: recordingReporter()
    })
    expect(result.ok).toBe(true)
    expect(result.nixErrors).toEqual([])
    expect(result.systems[0].failures).toEqual([])
  })

  it('fails a system whose output holds ELF binaries for another machine, and says why', async () => {
    // An x86_64 ELF header written by the aarch64 builder: what a wrong-arch prebuilt binary looks like.
    const fakeX86Elf =
      'mkdir -p $out/bin; printf "\\177ELF\\002\\001\\001\\000\\000\\000\\000\\000\\000\\000\\000\\000\\002\\000\\076\\000" > $out/bin/prebuilt'
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast', scriptFor: { 'aarch64-linux': fakeX86Elf } }] })
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    const arm = result.systems[1]
    expect(arm.status).toBe('failed')
    expect(arm.elf?.wrongMachine).toEqual([{ path: join(arm.outPaths[0], 'bin/prebuilt'), machine: 62 }])
    expect(arm.error).toMatch(/aarch64-linux output holds 1 ELF file\(s\) built for x86_64, not for aarch64-linux.*prebuilt binary/)
    expect(result.systems[0].status).toBe('built')
    expect(result.ok).toBe(false)
  })

  it('names the attributes that do exist when the package is missing', async () => {
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const run = runBuildStage({ flake: f.dir, package: 'web', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    await expect(run).rejects.toThrow(EvaluationError)
    await expect(
      runBuildStage({ flake: f.dir, package: 'web', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    ).rejects.toThrow(
      /no package 'web' for x86_64-linux \(packages.x86_64-linux.web is missing; packages.x86_64-linux has: default, mast\). Set the 'package' input/
    )
  })

  it('on a warm run, with every output in the store, runs no nix build and reports each system as already built', async () => {
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const first = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    expect(first.ok).toBe(true)
    const calls: NixCall[] = []
    const reporter = recordingReporter()
    // The first run's set-up again (no probe builds): any `nix build` left would be the build itself.
    const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, callLog: calls })
    const warm = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix, reporter, setUp: { ...first.setUp, nix } })
    expect(warm.ok).toBe(true)
    expect(warm.systems.map(s => [s.status, s.alreadyValid, s.outPaths])).toEqual(first.systems.map(s => ['built', true, s.outPaths]))
    expect(warm.systems.every(s => (s.closureSize ?? 0) > 0)).toBe(true)
    // A fresh runner's version, one evaluation and one store query: the graph came from the .drv files.
    expect(calls.map(c => c.command).sort()).toEqual(['--version', 'eval', 'path-info'])
    expect(reporter.text()).toMatch(/outputs are in the store already: nothing to build/)
  })

  it('says which systems the flake has when a requested system is missing', async () => {
    const f = fixture({ systems: ['x86_64-linux'], packages: [{ attr: 'mast' }] })
    await expect(
      runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: testNix(), reporter: recordingReporter() })
    ).rejects.toThrow(/has no packages for aarch64-linux \(packages.aarch64-linux is missing; it has packages for: x86_64-linux\)/)
  })

  it('does not build a darwin system on Linux, says which runner would, and still builds the rest', async () => {
    const f = fixture({ systems: ['x86_64-linux'], packages: [{ attr: 'mast' }] })
    const result = await runBuildStage({
      flake: f.dir,
      package: 'default',
      systems: ['x86_64-linux', 'aarch64-darwin'],
      nix: testNix(),
      reporter: recordingReporter()
    })
    expect(result.ok).toBe(false)
    expect(result.systems[0].status).toBe('built')
    expect(result.systems[1]).toMatchObject({ system: 'aarch64-darwin', mode: 'impossible', status: 'not-built' })
    expect(result.systems[1].error).toMatch(/macOS builder.*macos-latest/)
  })

  it('stops Nix when cancelled mid-build and reports what finished', async () => {
    const f = fixture({
      systems: BOTH,
      packages: [
        {
          attr: 'mast',
          script: 'mkdir -p $out; echo nix-ci-quick-build-done',
          scriptFor: { 'aarch64-linux': 'sleep 2; echo nix-ci-long-build-started; sleep 600' }
        }
      ]
    })
    const controller = new AbortController()
    const seen = new Set<string>()
    const reporter = recordingReporter(text => {
      for (const marker of ['nix-ci-quick-build-done', 'nix-ci-long-build-started']) if (text.includes(marker)) seen.add(marker)
      if (seen.size === 2) controller.abort()
    })
    const started = Date.now()
    // Two jobs, so the quick x86_64 build finishes while the aarch64 one is still running.
    const result = await runBuildStage({
      flake: f.dir,
      package: 'default',
      systems: BOTH,
      nix: testNix('max-jobs = 2'),
      reporter,
      signal: controller.signal
    })
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(result.cancelled).toBe(true)
    expect(result.ok).toBe(false)
    expect(result.systems[0].status).toBe('built')
    expect(result.systems[1].status).toBe('cancelled')
    expect(result.systems[1].error).toMatch(/cancelled before this system finished/)
    expect(await processesMentioning(f.salt)).toEqual([])
  })
})

/** Processes whose command line or environment mentions the fixture (its builders carry the salt). */
async function processesMentioning(salt: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises')
  const found: string[] = []
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      if (environ.includes(salt)) found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`)
    } catch {
      // gone, or not ours to read
    }
  }
  return found
}
