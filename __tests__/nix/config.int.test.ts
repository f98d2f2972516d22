import { describe, expect, it } from '@jest/globals'
import { readNixConfig } from '../../src/nix/config.js'
import { NixCall, NixNotFoundError, NixRunner } from '../../src/nix/runner.js'
import { configShowCommand } from '../../src/nix/version.js'
import { TEST_NIX_CONFIG } from '../support/fixtures.js'

describe('readNixConfig (real Nix)', () => {
  it("on a fresh runner, asks for the config beside the version, and reads this Nix's own command's answer", async () => {
    const calls: NixCall[] = []
    const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, callLog: calls })
    const config = await readNixConfig(nix)
    expect(config.system).toMatch(/^(x86_64|aarch64)-linux$/)
    expect(config.extraPlatforms).toContain('aarch64-linux')
    const command = configShowCommand(await nix.versionInfo()).join(' ')
    const seen = calls.map(c => `${c.command} ${c.exitCode}`).sort()
    // Current Nix: one config call. Older Nix refused `config show`, then answered `show-config`.
    expect(seen).toEqual(command === 'config show' ? ['--version 0', 'config show 0'] : ['--version 0', 'config show 1', 'show-config 0'])
  })

  it('asks once, with this Nix’s own command, when the version is known already', async () => {
    const calls: NixCall[] = []
    const nix = new NixRunner({ nixConfig: TEST_NIX_CONFIG, callLog: calls })
    const command = configShowCommand(await nix.versionInfo()).join(' ')
    await readNixConfig(nix)
    expect(calls.map(c => `${c.command} ${c.exitCode}`)).toEqual(['--version 0', `${command} 0`])
  })

  it('says how to install Nix when there is none, with no promise left unhandled', async () => {
    await expect(readNixConfig(new NixRunner({ nixBinary: 'nix-does-not-exist-here' }))).rejects.toThrow(NixNotFoundError)
  })
})
