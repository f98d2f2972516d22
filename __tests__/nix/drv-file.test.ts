import { describe, expect, it } from '@jest/globals'
import { parseDrvText } from '../../src/nix/drv-file.js'

// Shapes as Nix writes them (libstore derivations.cc, unparse); real .drv files are read in
// drv-file.int.test.ts on every Nix of the matrix.
const FOD =
  'Derive([("out","/nix/store/w6iyylydfhn7rsykjldaa3765n6vh123-source-0","r:sha256","4094de7d1a0957a440e4a89bc7a75e93cc56c56cc2aeb5b10c6ece80646646b0")],' +
  '[],["/nix/store/25zxaab8i7apng79cg9qv2am6jj9fqlp-x86_64-linux"],"x86_64-linux","/bin/sh",["-c","printf %s \\"a\\\\b\\" > $out"],' +
  '[("name","source-0"),("out","/nix/store/w6iyylydfhn7rsykjldaa3765n6vh123-source-0")])'

describe('parseDrvText', () => {
  it('reads outputs, inputs and the system of a fixed-output derivation', () => {
    expect(parseDrvText(FOD)).toEqual({
      outputs: {
        out: {
          path: '/nix/store/w6iyylydfhn7rsykjldaa3765n6vh123-source-0',
          hashAlgo: 'r:sha256',
          hash: '4094de7d1a0957a440e4a89bc7a75e93cc56c56cc2aeb5b10c6ece80646646b0'
        }
      },
      inputDrvs: {},
      inputSrcs: ['/nix/store/25zxaab8i7apng79cg9qv2am6jj9fqlp-x86_64-linux'],
      system: 'x86_64-linux'
    })
  })

  it('reads several outputs, input derivations with their outputs, and escapes in strings', () => {
    const text =
      'Derive([("dev","/nix/store/a-x-dev","",""),("out","/nix/store/b-x","","")],' +
      '[("/nix/store/c-y.drv",["dev","out"]),("/nix/store/d-z.drv",["out"])],[],"weird\\"sys\\\\tem\\n\\t\\r","/bin/sh",[],[])'
    expect(parseDrvText(text)).toEqual({
      outputs: { dev: { path: '/nix/store/a-x-dev', hashAlgo: '', hash: '' }, out: { path: '/nix/store/b-x', hashAlgo: '', hash: '' } },
      inputDrvs: { '/nix/store/c-y.drv': ['dev', 'out'], '/nix/store/d-z.drv': ['out'] },
      inputSrcs: [],
      system: 'weird"sys\\tem\n\t\r'
    })
  })

  it('gives undefined for every other shape, so that Nix is asked instead', () => {
    // Dynamic derivations (experimental): a versioned header, and input outputs as a nested tuple.
    expect(parseDrvText(`DrvWithVersion("xp-dyn-drv",${FOD.slice('Derive('.length)}`)).toBeUndefined()
    expect(parseDrvText('Derive([],[("/nix/store/c-y.drv",(["out"],[]))],[],"x86_64-linux","/bin/sh",[],[])')).toBeUndefined()
    expect(parseDrvText(FOD.slice(0, 60))).toBeUndefined()
    expect(parseDrvText('Derive([("out","/nix/store/b-x","","\\')).toBeUndefined()
    expect(parseDrvText('Derive([("out","/nix/store/b-x","")],[],[],"x86_64-linux","/bin/sh",[],[])')).toBeUndefined()
    expect(parseDrvText('')).toBeUndefined()
    expect(parseDrvText('{"out": {}}')).toBeUndefined()
  })
})
