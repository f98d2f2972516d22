// The JSON layer against real captures of every Nix in the matrix (see fixtures/nix-json/README.md).
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NixJsonShapeError, fixedOutputPath, parseDerivationShow, parseNixConfig, parsePathInfo } from '../../src/nix/json.js'
import { configShowCommand, derivationShowCommand, parseNixVersion, pathInfoJsonFlags } from '../../src/nix/version.js'
import { REPO_ROOT } from '../support/fixtures.js'

const dir = join(REPO_ROOT, '__tests__', 'fixtures', 'nix-json')
const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
const VERSIONS = ['2.8.0', '2.26.3', '2.34.8']

// The same derivations on every version (same store dir, same expression).
const PKG = '/nix/store/54gxk2vv0kw9d1fli6ans154gbq9vpl3-capture-pkg.drv'
const FLAT = '/nix/store/gmkk2fqqlbfljiaxxcahc376bnywzp8v-capture-fod-flat.drv'
const NAR = '/nix/store/mkla7b6gy8c0z75n37bh1c2jxngs63zh-capture-fod-nar.drv'
const FLAT_OUT = '/nix/store/zc11xhwfnbb7w62malylb4ijhz8l4khh-capture-fod-flat'
const NAR_OUT = '/nix/store/7s1v5901r0gnd5glwpkd6f0fj6jwkniy-capture-fod-nar'
const PKG_OUT = '/nix/store/kc8ifiggrmnq4c3jly8xdnqyk7k9pckg-capture-pkg'

describe.each(VERSIONS)('Nix %s captures', v => {
  const version = parseNixVersion(`nix (Nix) ${v}`)

  it('reads the derivation graph with full paths, inputs and fixed outputs in SRI', () => {
    const drvs = parseDerivationShow(read(`nix-${v}.derivation-show.json`), version)
    expect([...drvs.keys()].sort()).toEqual([PKG, FLAT, NAR].sort())
    const pkg = drvs.get(PKG)!
    expect(pkg).toMatchObject({ name: 'capture-pkg', system: 'x86_64-linux' })
    expect(pkg.inputDrvs.sort()).toEqual([FLAT, NAR].sort())
    expect(pkg.outputs.out).toEqual({ path: PKG_OUT })
    expect(pkg.outputs.doc.path).toBe('/nix/store/k0nv2z394416m3db7dxzfmsa19ap2gg2-capture-pkg-doc')
    expect(drvs.get(FLAT)!.outputs.out).toEqual({
      path: FLAT_OUT,
      fixed: { algo: 'sha256', method: 'flat', sri: 'sha256-Rg7mqjqANZGBt5TMMacYWt26d2Jun3GcEOPI77hmih0=' }
    })
    expect(drvs.get(NAR)!.outputs.out).toEqual({
      path: NAR_OUT,
      fixed: { algo: 'sha256', method: 'nar', sri: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }
    })
  })

  it('reads path info: valid with sizes and content address, invalid as invalid', () => {
    const infos = parsePathInfo(read(`nix-${v}.path-info.json`), version)
    expect(infos.get(PKG_OUT)).toEqual({ path: PKG_OUT, valid: false })
    expect(infos.get(FLAT_OUT)).toEqual({
      path: FLAT_OUT,
      valid: true,
      narSize: 120,
      closureSize: 120,
      ca: 'fixed:sha256:07cacswfzj7322f737vfc9vvmpas32kk3k4lny0r2dc07amfc3j6'
    })
  })

  it('reads the config settings', () => {
    const config = parseNixConfig(read(`nix-${v}.config-show.json`), version)
    expect(config).toMatchObject({ system: 'x86_64-linux', trustedUsers: ['root'], store: 'auto' })
    expect(config.extraPlatforms).toContain('i686-linux')
  })
})

describe('fixed-output paths (libstore makeFixedOutputPath)', () => {
  it('matches the paths Nix 2.8 and 2.26 printed, for flat and recursive hashes', () => {
    expect(
      fixedOutputPath('capture-fod-flat', { algo: 'sha256', method: 'flat', sri: 'sha256-Rg7mqjqANZGBt5TMMacYWt26d2Jun3GcEOPI77hmih0=' })
    ).toBe(FLAT_OUT)
    expect(
      fixedOutputPath('capture-fod-nar', { algo: 'sha256', method: 'nar', sri: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' })
    ).toBe(NAR_OUT)
  })

  it('refuses a .drv JSON whose fixed output path contradicts its hash', () => {
    const tampered = read('nix-2.26.3.derivation-show.json').replaceAll(
      FLAT_OUT,
      '/nix/store/00000000000000000000000000000000-capture-fod-flat'
    )
    expect(() => parseDerivationShow(tampered, parseNixVersion('nix (Nix) 2.26.3'))).toThrow(/not at .*zc11xhwf.* as its hash implies/)
  })
})

describe('Lix and Determinate Nix', () => {
  // Lix 2.9x forked from Nix 2.18 and keeps 2.18's array form of `path-info --json` (issue 13;
  // Nix 2.8's capture above is that form). Determinate Nix 3.x follows upstream 2.3x.
  it('reads the array form Lix prints', () => {
    const lix = parseNixVersion('nix (Lix, like Nix) 2.93.3')
    expect(lix).toMatchObject({ implementation: 'lix', text: '2.93.3' })
    expect(parsePathInfo(read('nix-2.8.0.path-info.json'), lix).get(FLAT_OUT)?.valid).toBe(true)
    expect(pathInfoJsonFlags(lix)).toEqual(['--json'])
    expect(derivationShowCommand(lix)).toEqual(['derivation', 'show'])
  })

  it('reads the upstream version inside a Determinate Nix version line', () => {
    const det = parseNixVersion('nix (Determinate Nix 3.8.2) 2.30.1')
    expect(det).toMatchObject({ implementation: 'determinate', text: '2.30.1', upstream: [2, 30] })
    expect(configShowCommand(det)).toEqual(['config', 'show'])
  })
})

describe('command spellings by version', () => {
  it('uses the old spellings on 2.8 and the new ones (without deprecation warnings) on 2.26 and 2.34', () => {
    const [old, mid, cur] = VERSIONS.map(v => parseNixVersion(`nix (Nix) ${v}`))
    expect([configShowCommand(old), derivationShowCommand(old), pathInfoJsonFlags(old)]).toEqual([
      ['show-config'],
      ['show-derivation'],
      ['--json']
    ])
    expect([configShowCommand(mid), derivationShowCommand(mid), pathInfoJsonFlags(mid)]).toEqual([
      ['config', 'show'],
      ['derivation', 'show'],
      ['--json']
    ])
    expect(pathInfoJsonFlags(cur)).toEqual(['--json', '--json-format', '1'])
    // What 2.34 says without the flag (captured), which the flag above avoids:
    expect(read('nix-2.34.8.path-info-no-format.stderr.txt')).toMatch(/without '--json-format' is deprecated/)
  })
})

describe('unknown shapes are errors that name the Nix version', () => {
  const v = parseNixVersion('nix (Nix) 2.40.0')
  it.each([
    [
      'a structured content address (path-info format 2)',
      () => parsePathInfo('{"/nix/store/x-a": {"version": 2, "ca": {"method": "nar"}}}', v)
    ],
    ['a number instead of a list', () => parsePathInfo('42', v)],
    [
      'a derivation without outputs',
      () => parseDerivationShow('{"derivations": {"x-a.drv": {"system": "x86_64-linux", "inputs": {"drvs": {}}}}, "version": 5}', v)
    ],
    [
      'an unknown hash method',
      () =>
        parseDerivationShow(
          '{"/nix/store/x-a.drv": {"system": "s", "inputDrvs": {}, "outputs": {"out": {"hash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "method": "blake3"}}}}',
          v
        )
    ],
    ['config without a system', () => parseNixConfig('{"store": {"value": "auto"}}', v)],
    ['not JSON', () => parseNixConfig('warning: something', v)]
  ])('%s', (_what, call) => {
    expect(call).toThrow(NixJsonShapeError)
    expect(call).toThrow(/Nix 2\.40\.0/)
  })
})

describe('sandbox-paths in every form', () => {
  it('reads 2.34 object form back into nix.conf spelling', () => {
    expect(parseNixConfig(read('nix-2.34.8.config-show.json')).sandboxPaths).toEqual(['/bin/sh=/usr/bin/bash-static'])
    expect(
      parseNixConfig(
        '{"system": {"value": "x86_64-linux"}, "sandbox-paths": {"value": {"/usr/bin/qemu-aarch64-static": {"source": "/usr/bin/qemu-aarch64-static", "optional": true}}}}'
      ).sandboxPaths
    ).toEqual(['/usr/bin/qemu-aarch64-static?'])
    expect(parseNixConfig(read('nix-2.8.0.config-show.json')).sandboxPaths).toEqual([])
  })
})
