// `nix-ci explain [FILE|-] [--json]` end to end, through its injected stdin/stdout/stderr.
import { describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { runExplainCommand } from '../../src/explain/explain-command.js'
import { KVM_UDEV_RULE, explainFindings } from '../../src/explain/advice.js'
import { classifyLines } from '../../src/explain/classify.js'
import { NIX_LOGS, nixLog } from './support.js'

async function run(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runExplainCommand(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) }
  })
  return { code, stdout, stderr }
}

describe('nix-ci explain', () => {
  it('prints exactly the documented JSON shape', async () => {
    const { code, stdout } = await run(['--json', join(NIX_LOGS, 'nix-2.8-keep-going.stderr.log')])
    expect(code).toBe(0)
    const doc = JSON.parse(stdout) as Record<string, unknown>
    expect(Object.keys(doc)).toEqual([
      'fodMismatches',
      'otherHashErrors',
      'platformMismatches',
      'execFormatErrors',
      'vmTests',
      'failedBuilds',
      'advice'
    ])
    expect((doc.fodMismatches as object[])[0]).toEqual({
      derivation: '/nix/store/miz229vi87qqrnbm3axzydvm1n3l9vaz-mast-mix-deps-0.1.0.drv',
      specified: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      got: 'sha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=',
      source: 'nix'
    })
    expect(doc.advice).toHaveLength(2)
  })

  it('reads standard input (`-` or nothing) and prints each finding with its fix', async () => {
    for (const args of [['-'], []]) {
      const { code, stdout } = await run(args, nixLog('nix-2.8-missing-kvm.stderr.log'))
      expect(code).toBe(0)
      expect(stdout).toContain('Platform mismatches')
      expect(stdout).toContain(KVM_UDEV_RULE)
      expect(stdout).toContain('system-features = kvm nixos-test')
    }
  })

  it('says so when nothing is recognised, with empty lists in JSON', async () => {
    expect((await run([], 'all good\n')).stdout).toMatch(/No known Nix failure/)
    const doc = JSON.parse((await run(['--json'], 'all good\n')).stdout) as Record<string, unknown[]>
    expect(Object.values(doc).every(v => v.length === 0)).toBe(true)
  })

  it('exits 1 for a file it cannot read and 2 for bad usage', async () => {
    expect((await run(['/nonexistent/log'])).code).toBe(1)
    expect((await run(['--bogus'])).code).toBe(2)
    expect((await run(['a', 'b'])).code).toBe(2)
    expect((await run(['--help'])).stdout).toMatch(/^Usage: nix-ci explain/)
  })
})

describe('advice', () => {
  const adviceFor = (name: string): string => explainFindings(classifyLines(nixLog(name))).join('\n')

  it('names the concrete fix for each kind of finding', () => {
    expect(adviceFor('nix-2.8-fod.stderr.log')).toMatch(
      /replace sha256-A+= with sha256-uvagwsLjiRxskDbRIZr\+aJFLuso17lTLT94PEFl7v88=.*nix-ci fix-hashes --write/
    )
    expect(adviceFor('nix-2.8-exec-format-error.stderr.log')).toMatch(
      /binfmt_misc.*F \(fix-binary\) flag.*docker\/setup-qemu-action.*systems/
    )
    expect(adviceFor('nix-2.8-platform.stderr.log')).toMatch(/extra-platforms = riscv64-linux/)
    expect(adviceFor('nix-2.2x-required-system.excerpt.log')).toMatch(/ubuntu-24\.04-arm/)
    expect(adviceFor('nix-2.8-flake-input-nar-hash.stderr.log')).toMatch(/nix flake lock --update-input/)
    expect(adviceFor('nix-2.8-substitute-tampered-cache.stderr.log')).toMatch(/file:\/\/\/tmp\/explain-cap\/cache.*corrupt or tampered/)
    expect(adviceFor('nix-2.8-untyped-hash.stderr.log')).toMatch(/SRI form/)
    expect(adviceFor('nix-2.8-builder-failed.stderr.log')).toMatch(
      /exit code 2.*nix log \/nix\/store\/phinrkkcw544r33qyd888yrhkdq44mqi-mast-broken-0\.1\.0\.drv/
    )
    expect(adviceFor('qemu-kvm-denied.excerpt.log')).toContain(KVM_UDEV_RULE)
  })

  it('never tells anyone to act on a report a builder printed', () => {
    const advice = adviceFor('nix-2.8-forged-last-lines.stderr.log')
    expect(advice).toMatch(/builder output.*change nothing/)
    expect(advice).not.toMatch(/replace .* with sha256-Rm9y/)
  })

  it('gives no advice for nothing, and none for a passed VM test', () => {
    expect(explainFindings(classifyLines(''))).toEqual([])
    const passed = explainFindings(classifyLines('vm-test-run-x> subtest: boots\nvm-test-run-x> test script finished in 3.10s'))
    expect(passed).toEqual([])
  })
})
