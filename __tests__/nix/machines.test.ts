// Nix's builders syntax and what `nix store ping` / `nix store info` print, from real captures.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MachinesSyntaxError, formatMachine, machineHost, machineStoreUri, parseMachine, splitBuilders } from '../../src/nix/machines.js'
import { platformRefusal } from '../../src/nix/messages.js'
import { parseStoreInfo, storeOpenError } from '../../src/nix/store-info.js'
import { parseNixVersion, storeInfoCommand } from '../../src/nix/version.js'
import { REPO_ROOT } from '../support/fixtures.js'

const capture = (name: string): string[] => readFileSync(join(REPO_ROOT, '__tests__/fixtures/nix-json', name), 'utf8').split('\n')

describe('builders syntax', () => {
  it('reads every field, `-` as the default, and a bare host as ssh://', () => {
    expect(
      parseMachine('ssh-ng://nix@arm.example.org aarch64-linux,armv7l-linux /k 4 2 big-parallel,kvm kvm c3NoLWVk', 'x86_64-linux')
    ).toEqual({
      uri: 'ssh-ng://nix@arm.example.org',
      systems: ['aarch64-linux', 'armv7l-linux'],
      sshKey: '/k',
      maxJobs: 4,
      speedFactor: 2,
      supportedFeatures: ['big-parallel', 'kvm'],
      mandatoryFeatures: ['kvm'],
      publicHostKey: 'c3NoLWVk'
    })
    expect(parseMachine('builder.local', 'x86_64-linux')).toMatchObject({
      uri: 'ssh://builder.local',
      systems: ['x86_64-linux'],
      maxJobs: 1,
      speedFactor: 1
    })
    expect(parseMachine('ssh-ng://b - - 2', 'aarch64-linux')).toMatchObject({ systems: ['aarch64-linux'], maxJobs: 2 })
    expect(parseMachine('ssh-ng://b', 'x86_64-linux').sshKey).toBeUndefined()
  })

  it('splits on newlines and semicolons, drops comments, keeps @file entries', () => {
    expect(splitBuilders('ssh-ng://a aarch64-linux ; ssh://b # old\n\n# none\n@/etc/nix/machines')).toEqual([
      'ssh-ng://a aarch64-linux',
      'ssh://b',
      '@/etc/nix/machines'
    ])
  })

  it('refuses what Nix would misread, saying what the syntax is', () => {
    expect(() => parseMachine('ssh-ng://a aarch64-linux - four', 'x86_64-linux')).toThrow(MachinesSyntaxError)
    expect(() => parseMachine('ssh-ng://a aarch64-linux - four', 'x86_64-linux')).toThrow(/max-jobs 'four'.*URI systems ssh-key/)
    expect(() => parseMachine('a b c d e f g h i', 'x86_64-linux')).toThrow(/9 fields/)
    expect(() => parseMachine('a - - - - - - not!base64', 'x86_64-linux')).toThrow(/not base64/)
  })

  it('writes a machine back in the same meaning, and the store URI ping takes', () => {
    const m = parseMachine('ssh-ng://root@127.0.0.1 aarch64-linux /tmp/k 1 1 - - QUJD', 'x86_64-linux')
    expect(parseMachine(formatMachine(m), 'x86_64-linux')).toEqual(m)
    expect(formatMachine({ ...m, sshKey: undefined, publicHostKey: undefined })).toBe('ssh-ng://root@127.0.0.1 aarch64-linux - 1 1 - - -')
    expect(machineStoreUri(m)).toBe('ssh-ng://root@127.0.0.1?ssh-key=%2Ftmp%2Fk&base64-ssh-public-host-key=QUJD')
    expect(machineHost('ssh-ng://nix@arm.example.org?compress=true')).toBe('nix@arm.example.org')
  })
})

describe('store info', () => {
  it.each([
    ['nix-2.8.0.store-ping.stderr.txt', { url: 'ssh-ng://root@127.0.0.1', version: '2.34.8' }],
    ['nix-2.34.8.store-ping.stderr.txt', { url: 'ssh-ng://root@127.0.0.1?ssh-key=/tmp/k', version: '2.34.8', trusted: true }],
    ['nix-2.34.8.store-info.stderr.txt', { url: 'ssh-ng://root@127.0.0.1?ssh-key=/tmp/k', version: '2.34.8', trusted: true }]
  ])('reads the remote Nix version from %s', (file, info) => {
    expect(parseStoreInfo(capture(file))).toEqual(info)
  })

  it.each(['nix-2.8.0.store-ping-unreachable.stderr.txt', 'nix-2.34.8.store-info-unreachable.stderr.txt'])(
    "keeps ssh's and Nix's last words for an unreachable store (%s)",
    file => {
      expect(storeOpenError(capture(file))).toMatch(/^ssh: connect to host 127\.0\.0\.1 port 1: Connection refused error: /)
    }
  )

  it('asks with the spelling each Nix takes', () => {
    expect(storeInfoCommand(parseNixVersion('nix (Nix) 2.8.0'))).toEqual(['store', 'ping'])
    expect(storeInfoCommand(parseNixVersion('nix (Nix) 2.34.8'))).toEqual(['store', 'info'])
    expect(storeInfoCommand(parseNixVersion('nix (Lix, like Nix) 2.93.3'))).toEqual(['store', 'ping'])
  })

  it("reads a remote's refusal relayed by a 2.8 client", () => {
    expect(platformRefusal(capture('nix-2.8.0.remote-refusal.stderr.txt'))).toMatch(
      /on 'ssh-ng:\/\/root@127\.0\.0\.1' failed: Cannot build .* Reason: platform mismatch Required system: 'aarch64-linux'/
    )
  })
})
