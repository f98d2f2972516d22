// Nix's refusal wording, from real stderr of each Nix in the matrix (fixtures/nix-json/README.md).
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { platformRefusal } from '../../src/nix/messages.js'
import { REPO_ROOT } from '../support/fixtures.js'

const lines = (v: string): string[] =>
  readFileSync(join(REPO_ROOT, '__tests__/fixtures/nix-json', `nix-${v}.platform-refusal.stderr.txt`), 'utf8').split('\n')

describe('platformRefusal', () => {
  it.each(['2.8.0', '2.26.3', '2.34.8'])('finds the platform refusal of Nix %s', v => {
    const all = lines(v)
    const platform = all.slice(
      0,
      all.findIndex((l, i) => i > 0 && /klcyjvfw/.test(l))
    )
    expect(platformRefusal(platform)).toMatch(/aarch64-linux/)
    expect(platformRefusal(platform)).toMatch(/6hj714x9z0q52p6m2g70czy4bx95gy62-p\.drv/)
  })

  it.each(['2.8.0', '2.26.3', '2.34.8'])('finds the missing-feature refusal of Nix %s', v => {
    const all = lines(v)
    const lastPlatformLine = all.reduce((last, l, i) => (/6hj714x9|Current system/.test(l) ? i : last), -1)
    const features = all.slice(lastPlatformLine + 1)
    expect(platformRefusal(features)).toMatch(/\{foo, kvm\}/)
  })

  it('finds none in a build failure or in a builder line that mentions the words', () => {
    expect(platformRefusal(["error: builder for '/nix/store/x-a.drv' failed with exit code 1"])).toBeUndefined()
    expect(platformRefusal(["error: Cannot build '/nix/store/x-a.drv'.", 'Reason: builder failed with exit code 1'])).toBeUndefined()
    expect(platformRefusal(["a> Cannot build '/nix/store/x-a.drv'.", 'a> Reason: platform mismatch'])).toBeUndefined()
  })
})
