// Which evaluated values nix-ci takes as a derivation: a store path of a .drv, by Nix's own rules.
import { describe, expect, it } from '@jest/globals'
import { isDrvStorePath, notADerivation } from '../../src/nix/store-path.js'

const HASH = 'az9frl7fl4gmqnv8p189r25c833cx4yy'

describe('isDrvStorePath', () => {
  it('accepts a .drv in /nix/store with a nix32 hash and a name of the store alphabet', () => {
    expect(isDrvStorePath(`/nix/store/${HASH}-e.drv`)).toBe(true)
    expect(isDrvStorePath(`/nix/store/${HASH}-mast-mix-deps-0.1.0+git_a=b?.drv`)).toBe(true)
    expect(isDrvStorePath(`/nix/store/${HASH}-${'n'.repeat(207)}.drv`)).toBe(true)
  })

  it('refuses options, other folders, other files, bad hashes and names, and non-strings', () => {
    for (const value of [
      '--allow-unsafe-native-code-during-evaluation',
      `--store=/nix/store/${HASH}-e.drv`,
      `path:/nix/store/${HASH}-source#evil`,
      `/tmp/${HASH}-e.drv`,
      `/nix/store/${HASH}-e.drv/../../../etc/passwd`,
      `/nix/store/${HASH}-e`,
      `/nix/store/${HASH}-.drv`,
      `/nix/store/${HASH.replace('a', 'e')}-e.drv`,
      `/nix/store/${HASH.slice(1)}-e.drv`,
      `/nix/store/${HASH}-a b.drv`,
      `/nix/store/${HASH}-e.drv\n::error::x`,
      `/nix/store/${HASH}-${'n'.repeat(208)}.drv`,
      ` /nix/store/${HASH}-e.drv`,
      42,
      null,
      { drvPath: `/nix/store/${HASH}-e.drv` }
    ])
      expect([value, isDrvStorePath(value)]).toEqual([value, false])
  })

  it('the refusal quotes the value escaped and bounded, and names the attribute', () => {
    const message = notADerivation('packages.x86_64-linux.default', `x\n::error::pwned${'y'.repeat(500)}`)
    expect(message).toContain('packages.x86_64-linux.default has a drvPath that is not a derivation in the Nix store ("x\\n::error::pwned')
    expect(message).not.toContain('\n')
    expect(message.length).toBeLessThan(400)
  })
})
