// Remote builders, for real: Debian's sshd on 127.0.0.1 in front of a second Nix store (the sid
// chroot's Nix 2.34 from the host; the chroot's own Nix when the tests run inside one). The local
// Nix here cannot build aarch64-linux at all (`extra-platforms =`): only the remote, under its
// own QEMU, can.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readElfMachine } from '../../../src/nix/elf.js'
import { NixRunner } from '../../../src/nix/runner.js'
import { EmulationError, confirmPlatforms } from '../../../src/setup/emulation.js'
import { removeSshKeys } from '../../../src/setup/remote-builders.js'
import { buildResultsOutput, buildSummary } from '../../../src/stages/build/build-report.js'
import { Fixture, createFixture, testNix } from '../../support/fixtures.js'
import { BOTH, LOCAL_ONLY, buildWithRemote, localOnlyNix } from '../../support/remote-builder/build.js'
import { RemoteBuilder, startRemoteBuilder } from '../../support/remote-builder/index.js'
import { recordingReporter } from '../../support/reporting.js'
import { THROUGH_DAEMON, itIf } from '../../support/requires.js'

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const fixtures: Fixture[] = []
const remotes: RemoteBuilder[] = []
function fixture(spec: Parameters<typeof createFixture>[0]): Fixture {
  const f = createFixture(spec)
  fixtures.push(f)
  return f
}
async function remote(options: Parameters<typeof startRemoteBuilder>[0]): Promise<RemoteBuilder> {
  const r = await startRemoteBuilder(options)
  remotes.push(r)
  // The port: Nix 2.8 takes none in an ssh-ng URI, NIX_SSHOPTS reaches the ssh it starts.
  process.env.NIX_SSHOPTS = r.sshOpts
  return r
}
const sshOptsBefore = process.env.NIX_SSHOPTS
afterEach(async () => {
  while (fixtures.length) fixtures.pop()?.cleanup()
  while (remotes.length) await remotes.pop()?.stop()
})
afterAll(() => {
  // Jest's workers may not see the process exit, where the action removes its key files.
  removeSshKeys()
  expect(readdirSync(tmpdir()).filter(n => n.startsWith('nix-ci-ssh-'))).toEqual([])
  if (sshOptsBefore === undefined) delete process.env.NIX_SSHOPTS
  else process.env.NIX_SSHOPTS = sshOptsBefore
})

describe('remote builders', () => {
  beforeAll(async () => {
    // The premise: without the remote, this Nix refuses aarch64-linux.
    await expect(confirmPlatforms(localOnlyNix(), ['aarch64-linux'])).rejects.toThrow(EmulationError)
  })

  it('builds aarch64 on the remote (its store has it first), x86_64 here, and realises the shared fixed-output derivation once, here', async () => {
    const r = await remote({ extraPlatforms: ['aarch64-linux'] })
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-mix-deps', content: 'phoenix 1.7.14' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const reporter = recordingReporter()
    // The key comes from a secret's text; the machine line names none.
    const result = await buildWithRemote(
      f,
      { builders: r.machine(['aarch64-linux'], { key: null }), sshKey: r.clientKeyText, fallback: 'fail' },
      { reporter }
    )
    const [x86, arm] = result.systems

    expect(result.ok).toBe(true)
    expect([x86.mode, x86.builtOn]).toEqual(['native', 'local'])
    expect([arm.mode, arm.builtOn]).toEqual(['remote', r.host])
    // It ran on an aarch64 CPU there and came back: the output is here, with aarch64 ELF files ...
    expect(readFileSync(join(arm.outPaths[0], 'arch'), 'utf8').trim()).toBe('aarch64')
    expect(await readElfMachine(join(arm.outPaths[0], 'bin/busybox'))).toBe(183)
    expect(arm.elf).toMatchObject({ elfFiles: 1, wrongMachine: [] })
    // ... and it is in the remote's own store, where it was built.
    expect(r.hasPath(arm.outPaths[0])).toBe(true)
    expect(r.hasPath(x86.outPaths[0])).toBe(false)
    // The fixed-output derivation: realised once, here, then copied to the remote as an input.
    const fods = result.builtDerivations.filter(d => d.endsWith('-mast-mix-deps-0.1.0.drv'))
    expect(fods).toHaveLength(1)
    expect(result.nativeFodsFirst).toEqual(fods)
    const fodOut = result.fixedOutputs.find(o => o.drvPath === fods[0])?.outputPaths[0] as string
    expect(r.hasPath(fodOut)).toBe(true)
    // The set-up group says what the builder is, and the table and build-results where each built.
    const text = reporter.text()
    expect(text).toMatch(
      new RegExp(`${escaped(r.host)}: reachable, Nix 2\\.\\d+\\.\\d+.*builds aarch64-linux \\(a probe build started there\\)`)
    )
    expect(text).toContain(`aarch64-linux (remote: ${r.host})`)
    expect(buildResultsOutput(result)['aarch64-linux']).toMatchObject({ mode: 'remote', builtOn: r.host, status: 'built' })
    expect(buildSummary(result)).toContain(`| \`aarch64-linux\` | remote on \`${r.host}\` | ✅ built`)
    // The key never reaches the log.
    const keyLine = r.clientKeyText.split('\n')[1]
    expect(text).not.toContain(keyLine)
  })

  it("builders from Nix's own config (no input), and outputs: all: each system says where its attributes were built, the remote for aarch64", async () => {
    const r = await remote({ extraPlatforms: ['aarch64-linux'] })
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const reporter = recordingReporter()
    const nix = new NixRunner({ nixConfig: `${LOCAL_ONLY}\nbuilders = ${r.machine(['aarch64-linux'])}` })
    const result = await buildWithRemote(f, { builders: '', sshKey: '', fallback: 'fail' }, { outputs: { kind: 'all' }, nix, reporter })
    const [x86, arm] = result.systems
    expect(reporter.text()).toMatch(new RegExp(`Remote builders \\(from Nix's config\\): 1\n +${escaped(r.host)}: reachable`))
    expect(result.ok).toBe(true)
    expect(arm.attributes?.map(a => [a.attrPath, a.status])).toEqual(expect.arrayContaining([['packages.aarch64-linux.mast', 'built']]))
    expect([x86.builtOn, arm.builtOn]).toEqual(['local', r.host])
    for (const path of arm.outPaths) expect(r.hasPath(path)).toBe(true)
    expect(buildResultsOutput(result)['aarch64-linux']).toMatchObject({ mode: 'remote', builtOn: r.host, status: 'built' })
  })

  it('an unreachable builder is reported in the set-up, and with remote-fallback: fail its system fails clearly while the native one is kept', async () => {
    const r = await remote({ extraPlatforms: ['aarch64-linux'] })
    await r.kill()
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const reporter = recordingReporter()
    const result = await buildWithRemote(f, { builders: r.machine(['aarch64-linux']), sshKey: '', fallback: 'fail' }, { reporter })
    const [x86, arm] = result.systems
    expect(result.ok).toBe(false)
    expect(x86.status).toBe('built')
    expect(arm.status).toBe('not-built')
    expect(arm.error).toMatch(
      new RegExp(
        `No remote builder builds aarch64-linux \\(${escaped(r.host)} is unreachable: .*Connection refused.*'remote-fallback' is 'fail'`
      )
    )
    expect(reporter.text()).toMatch(new RegExp(`${escaped(r.host)}: unreachable: .*Connection refused`))
  })

  it('a builder that refuses the system (no aarch64 there) is caught by the probe; remote-fallback: emulate builds it under QEMU here', async () => {
    const r = await remote({})
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const reporter = recordingReporter()
    const result = await buildWithRemote(
      f,
      { builders: r.machine(['aarch64-linux']), sshKey: '', fallback: 'emulate' },
      { reporter, nix: testNix() }
    )
    expect(reporter.text()).toMatch(
      new RegExp(`${escaped(r.host)}: refuses aarch64-linux: .*(is required to build|platform mismatch|not available)`)
    )
    const arm = result.systems[1]
    expect([arm.mode, arm.status, arm.builtOn]).toEqual(['emulated', 'built', 'local'])
    expect(r.hasPath(arm.outPaths[0])).toBe(false)
  })

  it('a builder missing a feature it declares is refused by the probe, and with remote-fallback: fail the system says which', async () => {
    const r = await remote({ extraPlatforms: ['aarch64-linux'], systemFeatures: ['benchmark'] })
    const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
    const result = await buildWithRemote(f, {
      builders: r.machine(['aarch64-linux'], { features: ['nix-ci-gpu'] }),
      sshKey: '',
      fallback: 'fail'
    })
    const [x86, arm] = result.systems
    expect(x86.status).toBe('built')
    expect(arm.status).toBe('not-built')
    expect(arm.error).toMatch(new RegExp(`No remote builder builds aarch64-linux \\(${escaped(r.host)} .*nix-ci-gpu`))
  })

  // Through a nix-daemon the daemon's own ssh does the remote build, without this job's NIX_SSHOPTS.
  itIf(
    THROUGH_DAEMON,
    "through a nix-daemon, a port given only in NIX_SSHOPTS: the probe says the daemon's ssh could not connect, and where the port goes",
    async () => {
      const r = await remote({ extraPlatforms: ['aarch64-linux'] })
      const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
      const reporter = recordingReporter()
      const portless = r.machine(['aarch64-linux']).replace(`ssh-ng://${r.host} `, 'ssh-ng://root@127.0.0.1 ')
      const result = await buildWithRemote(f, { builders: portless, sshKey: '', fallback: 'fail' }, { reporter })
      // This job's own connection (nix store info, with NIX_SSHOPTS) works ...
      expect(reporter.text()).toMatch(/root@127\.0\.0\.1: reachable, Nix 2\.\d+\.\d+/)
      // ... the daemon's does not, and the set-up says so instead of calling it a refusal.
      expect(reporter.text()).toMatch(
        /root@127\.0\.0\.1: refuses aarch64-linux: Nix's build hook could not open it: error: failed to start SSH connection .*put a port other than 22 in the URI/
      )
      const [x86, arm] = result.systems
      expect([x86.status, arm.status]).toEqual(['built', 'not-built'])
    }
  )

  it("a connection dropped mid-build fails that system with Nix's error and keeps what was built", async () => {
    const r = await remote({ extraPlatforms: ['aarch64-linux'] })
    const f = fixture({
      systems: BOTH,
      packages: [{ attr: 'mast', scriptFor: { 'aarch64-linux': 'echo started on $(uname -m); sleep 60; mkdir $out' } }]
    })
    let killed: Promise<void> | undefined
    const result = await buildWithRemote(
      f,
      { builders: r.machine(['aarch64-linux']), sshKey: '', fallback: 'fail' },
      {
        // The remote's builder printed its first line: the build runs there; now the machine goes away.
        observe: line => {
          if (killed === undefined && line.text.includes('started on aarch64')) killed = r.kill()
        }
      }
    )
    expect(killed).toBeDefined()
    const [x86, arm] = result.systems
    expect(x86.status).toBe('built')
    expect(arm.status).toBe('failed')
    expect(arm.mode).toBe('remote')
    expect(arm.failures.length + result.nixErrors.length).toBeGreaterThan(0)
    expect(arm.error).toMatch(
      new RegExp(
        `^The connection to remote builder ${escaped(r.host)} was lost during the build: it no longer answers \\(.*\\)\\. What was built is kept\\..* Failed there: mast-0\\.1\\.0\\.$`
      )
    )
    // What was built is kept: the native output is in the store.
    expect(x86.outPaths.every(p => existsSync(p))).toBe(true)
  })
})

it('an SSH key input that is not a private key is refused before anything connects', async () => {
  const f = fixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
  await expect(
    buildWithRemote(f, { builders: 'ssh-ng://nobody@127.0.0.1 aarch64-linux', sshKey: 'ghp_notakey', fallback: 'fail' })
  ).rejects.toThrow(/not an SSH private key/)
})
