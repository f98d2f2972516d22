import { describe, expect, it } from '@jest/globals'
import { DrvNames } from '../../src/explain/drv-names.js'

const drv = (hash: string, name: string) => `/nix/store/${hash.padEnd(32, hash)}-${name}.drv`

describe('DrvNames', () => {
  it('gives the latest derivation announced under a name, however lookups and announcements interleave', () => {
    const names = new DrvNames(8)
    names.note(drv('a', 'hello-2.12'))
    names.note(drv('b', 'hello-2.12'))
    expect(names.get('hello-2.12')).toBe(drv('b', 'hello-2.12'))
    names.note(drv('c', 'hello-2.12'))
    names.note(drv('d', 'other'))
    expect(names.get('hello-2.12')).toBe(drv('c', 'hello-2.12'))
    expect(names.get('other')).toBe(drv('d', 'other'))
    expect(names.get('never')).toBeUndefined()
  })

  it('keeps at least the latest `limit` names, and forgets names far older than that', () => {
    const names = new DrvNames(4)
    for (let i = 0; i < 100; i++) names.note(drv(String.fromCharCode(97 + (i % 26)), `pkg-${i}`))
    for (let i = 96; i < 100; i++) expect(names.get(`pkg-${i}`)).toBe(drv(String.fromCharCode(97 + (i % 26)), `pkg-${i}`))
    expect(names.get('pkg-0')).toBeUndefined()
    expect(names.get('pkg-90')).toBeUndefined()
  })
})
