// Emulation set-up: handler states come from fixture binfmt_misc folders and trust from Nix
// settings, so the documented errors are proven without breaking this machine.
import { describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EmulationError, confirmPlatforms, emulationNixConfig, findBinfmtHandler, setUpEmulation } from '../../src/setup/emulation.js'
import type { CommandRunner, HostFacts } from '../../src/setup/host.js'
import { isTrustedUser } from '../../src/setup/host.js'
import { planSystems } from '../../src/setup/platforms.js'
import { readNixConfig } from '../../src/nix/config.js'
import { NixCall, NixRunner } from '../../src/nix/runner.js'
import { useTempDirs } from '../support/cleanup.js'
import { recordingReporter } from '../support/reporting.js'

const OFFLINE = 'sandbox = true\nsubstituters ='
const tempDir = useTempDirs()

function binfmtDir(handlers: Record<string, string>): string {
  const dir = tempDir('nix-ci-binfmt-')
  writeFileSync(join(dir, 'status'), 'enabled\n')
  for (const [name, text] of Object.entries(handlers)) writeFileSync(join(dir, name), text)
  return dir
}

const HANDLER_PF = 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\nmagic 7f454c46\n'
const HANDLER_P = 'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: P\noffset 0\nmagic 7f454c46\n'

/** Records commands instead of running them: nothing privileged may happen in these tests. */
function facts(overrides: Partial<HostFacts>, commands: string[][] = []): HostFacts {
  const run: CommandRunner = async (command, args) => {
    commands.push([command, ...args])
    return { code: 1, stdout: '', stderr: `${command}: not run in tests` }
  }
  return {
    user: 'runner',
    groups: ['runner', 'docker'],
    isRoot: false,
    canSudo: false,
    binfmtDir: binfmtDir({}),
    nixConfPath: '/nonexistent/nix.conf',
    run,
    ...overrides
  }
}

describe('planning systems', () => {
  it('builds the host natively, other Linux systems emulated, darwin nowhere', () => {
    expect(planSystems(['x86_64-linux', 'i686-linux', 'aarch64-linux', 'riscv64-linux', 'aarch64-darwin'], 'x86_64-linux')).toEqual([
      { system: 'x86_64-linux', mode: 'native' },
      { system: 'i686-linux', mode: 'native' },
      { system: 'aarch64-linux', mode: 'emulated', qemuArch: 'aarch64' },
      { system: 'riscv64-linux', mode: 'emulated', qemuArch: 'riscv64' },
      { system: 'aarch64-darwin', mode: 'impossible', reason: expect.stringMatching(/macOS builder.*macos-latest/) }
    ])
  })

  it('swaps roles on a native arm64 runner', () => {
    expect(planSystems(['x86_64-linux', 'aarch64-linux'], 'aarch64-linux')).toEqual([
      { system: 'x86_64-linux', mode: 'emulated', qemuArch: 'x86_64' },
      { system: 'aarch64-linux', mode: 'native' }
    ])
  })
})

describe('binfmt handlers', () => {
  it('finds a handler by its name or by its interpreter', async () => {
    expect(await findBinfmtHandler(binfmtDir({ 'qemu-aarch64': HANDLER_PF }), 'aarch64')).toEqual({
      name: 'qemu-aarch64',
      enabled: true,
      interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P',
      flags: 'PF'
    })
    expect(await findBinfmtHandler(binfmtDir({ arm64: HANDLER_P }), 'aarch64')).toMatchObject({ name: 'arm64', flags: 'P' })
    expect(await findBinfmtHandler(binfmtDir({ 'qemu-riscv64': HANDLER_PF.replace(/aarch64/g, 'riscv64') }), 'aarch64')).toBeUndefined()
  })

  it('puts the interpreter in the sandbox only when the handler lacks the F flag', () => {
    expect(
      emulationNixConfig(['aarch64-linux'], [{ name: 'qemu-aarch64', enabled: true, interpreter: '/x/aarch64-binfmt-P', flags: 'PF' }])
    ).toBe('extra-platforms = aarch64-linux')
    expect(
      emulationNixConfig(
        ['aarch64-linux'],
        [{ name: 'qemu-aarch64', enabled: true, interpreter: '/usr/bin/qemu-aarch64-static', flags: 'P' }]
      )
    ).toBe('extra-platforms = aarch64-linux\nextra-sandbox-paths = /usr/bin/qemu-aarch64-static')
  })

  it('fails with what to do when no handler is registered and it cannot become root', async () => {
    const commands: string[][] = []
    const run = setUpEmulation(
      planSystems(['aarch64-linux'], 'x86_64-linux'),
      new NixRunner({ nixConfig: OFFLINE }),
      facts({}, commands),
      recordingReporter()
    )
    await expect(run).rejects.toThrow(EmulationError)
    await expect(
      setUpEmulation(planSystems(['aarch64-linux'], 'x86_64-linux'), new NixRunner({ nixConfig: OFFLINE }), facts({}), recordingReporter())
    ).rejects.toThrow(
      /No enabled QEMU binfmt_misc handler for aarch64-linux \(qemu-aarch64\).*no passwordless sudo.*docker\/setup-qemu-action.*ubuntu-24.04-arm/
    )
    expect(commands).toEqual([])
  })

  it('tries to register the handler with sudo when it may, and reports a failed registration', async () => {
    const commands: string[][] = []
    const run = setUpEmulation(
      planSystems(['aarch64-linux'], 'x86_64-linux'),
      new NixRunner({ nixConfig: OFFLINE }),
      facts({ canSudo: true }, commands),
      recordingReporter()
    )
    await expect(run).rejects.toThrow(/Cannot install qemu-user-static to emulate aarch64-linux/)
    expect(commands).toEqual([
      ['sudo', '-n', 'update-binfmts', '--enable', 'qemu-aarch64'],
      ['sudo', '-n', 'apt-get', 'install', '-y', '-q', 'qemu-user-static', 'binfmt-support']
    ])
  })
})

describe('Nix accepting the emulated system (real Nix)', () => {
  it('passes the settings per call to a trusted client and confirms them with Nix itself', async () => {
    const setup = await setUpEmulation(
      planSystems(['x86_64-linux', 'aarch64-linux'], 'x86_64-linux'),
      new NixRunner({ nixConfig: OFFLINE }),
      facts({ binfmtDir: binfmtDir({ 'qemu-aarch64': HANDLER_P }), isRoot: true }),
      recordingReporter()
    )
    expect(setup.how).toBe('client-settings')
    const config = await readNixConfig(setup.nix)
    expect(config.extraPlatforms).toContain('aarch64-linux')
    expect(config.sandboxPaths).toContain('/usr/bin/qemu-aarch64-static')
  })

  it("changes nothing and builds no probe when Nix's own config already lists the platform for a client whose settings count", async () => {
    const calls: NixCall[] = []
    const nix = new NixRunner({ nixConfig: `${OFFLINE}\nextra-platforms = aarch64-linux`, callLog: calls })
    const config = await readNixConfig(nix)
    const setup = await setUpEmulation(
      planSystems(['aarch64-linux'], 'x86_64-linux'),
      nix,
      facts({ binfmtDir: binfmtDir({ 'qemu-aarch64': HANDLER_PF }), isRoot: true }),
      recordingReporter(),
      config
    )
    expect(setup).toMatchObject({ how: 'already-configured', nix })
    expect(calls.filter(c => c.command === 'build')).toEqual([])
  })

  it('still goes through nix.conf and the probe for an untrusted daemon client, whose own config view proves nothing', async () => {
    const nix = new NixRunner({ nixConfig: `${OFFLINE}\nextra-platforms = aarch64-linux\nstore = daemon\ntrusted-users = root` })
    const config = await readNixConfig(nix)
    await expect(
      setUpEmulation(
        planSystems(['aarch64-linux'], 'x86_64-linux'),
        nix,
        facts({ binfmtDir: binfmtDir({ 'qemu-aarch64': HANDLER_PF }) }),
        recordingReporter(),
        config
      )
    ).rejects.toThrow(/Nix ignores 'extra-platforms' from user 'runner', who is not in trusted-users/)
  })

  it('refuses an untrusted daemon client that cannot edit nix.conf, instead of silently building nothing', async () => {
    const nix = new NixRunner({ nixConfig: `${OFFLINE}\nstore = daemon\ntrusted-users = root @wheel` })
    const commands: string[][] = []
    await expect(
      setUpEmulation(
        planSystems(['aarch64-linux'], 'x86_64-linux'),
        nix,
        facts({ binfmtDir: binfmtDir({ 'qemu-aarch64': HANDLER_PF }) }, commands),
        recordingReporter()
      )
    ).rejects.toThrow(
      /Nix ignores 'extra-platforms' from user 'runner', who is not in trusted-users.*silently not be built.*extra_nix_config: extra-platforms = aarch64-linux/
    )
    expect(commands).toEqual([])
  })

  it('detects when Nix still refuses the system (the probe build says so)', async () => {
    await expect(confirmPlatforms(new NixRunner({ nixConfig: OFFLINE }), ['aarch64-linux'])).rejects.toThrow(
      // Nix 2.8-2.2x: "a 'aarch64-linux' with features {} is required to build"; 2.3x: "Cannot build … Reason: platform mismatch".
      /Nix still refuses to build aarch64-linux.*(a 'aarch64-linux' with features \{\} is required to build|Reason: platform mismatch Required system: 'aarch64-linux')/
    )
    await expect(
      confirmPlatforms(new NixRunner({ nixConfig: `${OFFLINE}\nextra-platforms = aarch64-linux` }), ['aarch64-linux'])
    ).resolves.toBeUndefined()
  })

  it('reads trusted-users as Nix does: names, @groups and *', () => {
    expect(isTrustedUser(['root', '@wheel'], 'runner', ['runner', 'wheel'])).toBe(true)
    expect(isTrustedUser(['root', '@wheel'], 'runner', ['runner'])).toBe(false)
    expect(isTrustedUser(['*'], 'anyone', [])).toBe(true)
    expect(isTrustedUser(['root', 'runner'], 'runner', [])).toBe(true)
  })
})
