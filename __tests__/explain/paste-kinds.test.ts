// Issue 15's kinds of paste damage and issue 16's BEAM crash, from sourced excerpts
// (__tests__/fixtures/nix-logs/*.source.txt). Each fixture holds several pastes, one per
// `=== <source> ===` section; each section is classified on its own, as a separate paste.
import { describe, expect, it } from '@jest/globals'
import { beamCrashAdvice, explainFindings } from '../../src/explain/advice.js'
import { classifyLines, classifyNixMessages } from '../../src/explain/classify.js'
import { toExplainJson } from '../../src/explain/json.js'
import { Findings } from '../../src/explain/types.js'
import { linesOf, nixLog } from './support.js'

interface Paste {
  title: string
  lines: string[]
}

function pastes(fixture: string): Paste[] {
  const out: Paste[] = []
  for (const line of linesOf(nixLog(fixture))) {
    const title = /^=== (.*) ===$/.exec(line)
    if (title) out.push({ title: title[1], lines: [] })
    else out.at(-1)!.lines.push(line)
  }
  return out
}

const fods = (paste: Paste): unknown[] => toExplainJson(classifyLines(paste.lines)).fodMismatches

/** Each section's findings, keyed by its title, so a failure names the excerpt. */
function bySection(fixture: string, read: (paste: Paste) => unknown): Record<string, unknown> {
  return Object.fromEntries(pastes(fixture).map(p => [p.title, read(p)]))
}

function expectSections(fixture: string, expected: unknown[][], read: (paste: Paste) => unknown = fods): void {
  const titles = pastes(fixture).map(p => p.title)
  expect(titles).toHaveLength(expected.length)
  expect(bySection(fixture, read)).toEqual(Object.fromEntries(titles.map((t, i) => [t, expected[i]])))
}

describe('issue 15: what people really paste', () => {
  it('1. reads the pair alone, with no derivation, marked as a paste without a header', () => {
    expectSections('paste-pair-alone.excerpt.log', [
      [
        {
          derivation: null,
          specified: 'sha256-z4yxWClbs05ZCT8CPJpPY2BWMSXxfJ09Lq3Oottx7dQ=',
          got: 'sha256-hZjmAdh9QQ2bAIYL3K7scl59kz9Wxnv9f6rKMeuKb7U=',
          source: 'nix',
          pasteDamage: ['no-header']
        }
      ],
      [
        {
          derivation: null,
          specified: 'sha256:08nny0h5qp58h44q4dx7y6gan7xb8msz3c2f3mk8ic40lx6902gf',
          got: 'sha256:064x0y3ix5h22ibl9sn3znhkan6g1prkniv2hgrrssr0c4sgjvhb',
          source: 'nix',
          pasteDamage: ['no-header']
        }
      ],
      [
        {
          derivation: null,
          specified: 'sha256-D2wkC6VR9MSuHfoaIo3UhgqFW2HxCo0In09gnu1yG/E=',
          got: 'sha256-tHfFcNSmXLcUHhqiGRh2YZT8xioUq0zMOMZl9rjG8ys=',
          source: 'nix',
          likelyUrl: 'https://github.com/raspberrypi/libpisp/archive/v1.2.0.tar.gz',
          pasteDamage: ['no-header']
        }
      ]
    ])
  })

  it('2. reads nix-output-monitor frames: one finding for Nix’s copy and nom’s, the cut path kept as cut, Lix’s paths never hashes', () => {
    const stable = {
      specified: 'sha256-enzdar1UlJDI02waM2WzVCpXgmxrbt0Dn9AUdHV1WYc=',
      got: 'sha256-E9b5QIJADoHYNFdN67wmvW6QPH0TjzXaIOgDVOJq+Hc=',
      source: 'nix'
    }
    expectSections('paste-nom-frame.excerpt.log', [
      [{ derivation: '/nix/store/2nw7rzcfrfbyz15hpalxk2nk44jln076-branch-Stable.drv', ...stable }],
      [{ derivation: '/nix/store/2nw7rzcfrfbyz15hpalxk2nk44jln076-branch-Stab…', ...stable, pasteDamage: ['truncated-path'] }],
      [
        {
          derivation: '/nix/store/aqhi4w9k0mp9vgfn2v4iyn582sycgc1r-source.drv',
          specified: 'sha256-D2wkC6VR9MSuHfoaIo3UhgqFW2HxCo0In09gnu1yG/E=',
          got: 'sha256-tHfFcNSmXLcUHhqiGRh2YZT8xioUq0zMOMZl9rjG8ys=',
          source: 'nix',
          likelyUrl: 'https://github.com/raspberrypi/libpisp/archive/v1.2.0.tar.gz'
        }
      ],
      [
        {
          derivation: '/nix/store/dqk53vxysq7lrn1pzwwd850dxm7xq8hj-wpilibutility-linux.tar.gz.drv',
          specified: 'sha256-sS2N0iWBLPBK9Fz1mv4Wkez31ZXutPeR6U1XObqTvAw=',
          got: 'sha256-WCLkJTIoJc4SXyQUKtybSc0nQ2PojECWdZFUET5aINg=',
          source: 'nix',
          likelyUrl: 'https://example.invalid/wpilibutility-linux.tar.gz',
          expectedPath: '/nix/store/x36bia5b65dj2l5pij10lnicrja162p9-wpilibutility-linux.tar.gz',
          gotPath: '/nix/store/3b8g3gqpwqqg2hzv28aa5klpr26pw6z3-wpilibutility-linux.tar.gz'
        }
      ]
    ])
  })

  it('3. keeps a path elided by hand as given, and does not call a real `...` in a name elided', () => {
    expectSections('paste-elided-path.excerpt.log', [
      [
        {
          derivation: '…-go-modules.drv^*',
          specified: 'sha256-/bIf2sea5gjbB8GFtl27yePL/BVP4paPr5eeKA4BLVo=',
          got: 'sha256-7PsgPnmR8KAGhC+Vv7pl1E8lmUKxil83s9HfgOXlvGo=',
          source: 'nix',
          pasteDamage: ['elided-path']
        }
      ],
      [
        {
          derivation: '…-npm-deps.drv',
          specified: 'sha256-8Bj7nPZBAU+SnVTeKeArcjYnfZV4z/4I7fX+l0V+v04=',
          got: 'sha256-A/q4C8Ox1InaJ/320+pU9uBUv6zqTKlzzOmJUvzBOnI=',
          source: 'nix',
          pasteDamage: ['elided-path']
        }
      ],
      [
        {
          derivation: '…spotify-adblock-1.0.3-vendor-staging.drv',
          specified: 'sha256-wPV+ZY34OMbBrjmhvwjljbwmcUiPdWNHFU3ac7aVbIQ=',
          got: 'sha256-oGpe+kBf6kBboyx/YfbQBt1vvjtXd1n2pOH6FNcbF8M=',
          source: 'nix',
          pasteDamage: ['elided-path']
        }
      ],
      [
        {
          derivation:
            '/nix/store/akw6mcxmz2dgpwv2rci7byiz7sv0mkdx-aa54fa4e0712616d44f2c2f312ecc35c0827833d...c81ebd8e12b64a42a6efd68cc0ed018b57d14e91.patch.drv',
          specified: 'sha256-/5SvlGsgHbn1i68+GASOeNZmxoZiIt280L6iUFz3MFU=',
          got: 'sha256-nSfmgem0CElUHL1wXSL+9aVixeaRjcxMyey4YaNdHfc=',
          source: 'nix'
        }
      ]
    ])
  })

  it('4. reads a remote build’s report at any indentation, with or without the inner error:, its path wrapped or not, and names the builder', () => {
    const drv = '/nix/store/j9grm1z24xn0wk1mj2idqfly99ls3adn-goproxy-github.com-rogpeppe-go-internal-latest.drv'
    const pair = {
      specified: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      got: 'sha256-x7deBOGzOIiNLsLfhAV3ZuSJwYifLa6NcDRjHFmnlKk=',
      source: 'nix'
    }
    expectSections('paste-remote-builder.excerpt.log', [
      [{ derivation: drv, ...pair, remoteBuilder: 'ssh-ng://builder' }],
      [{ derivation: drv, ...pair, remoteBuilder: 'ssh://nix@builder.example' }],
      [{ derivation: drv, ...pair, remoteBuilder: 'ssh://nix@builder.example', pasteDamage: ['wrapped-path'] }],
      [{ derivation: drv, ...pair, remoteBuilder: 'ssh://nix@builder.example', pasteDamage: ['wrapped-path'] }]
    ])
  })

  it('5. reads Nix 1.x’s one-line reports, curly or straight quotes, glued after curl’s progress or not', () => {
    const ccl = {
      derivation: '/nix/store/6ra16vllksz9wv4fkh17w5lg336zvryb-ccl-r16313',
      specified: '11lmdvzj1mbm7mbr22vjbcrsvinyz8n32a91ms324xqdqpr82ifb',
      got: '04p77n18cw0bc8i66mp2vfrhlliahrx66lm004a3nw3h0mdk0gd8',
      source: 'nix'
    }
    expectSections('paste-nix-1x-glued.excerpt.log', [
      [{ ...ccl, pasteDamage: ['glued'] }],
      [ccl],
      [
        {
          derivation: '/nix/store/yssgbm6zf3gzngpc7fidz7w3ckzzr3fb-linear-8da21dc',
          specified: '08l0z6zrlbals2bwc2abbh31j9gf90vgp8sy3dcrp0knc98bgaa1',
          got: '0f4r7ww8aygxv0mqdsn9d7fjvrvr66f04v004kh2v5d01dp8d7f9',
          source: 'nix'
        }
      ],
      [
        {
          derivation: '/mnt/home/sw/nix/store/5cc7abs1dxcfmqwrizixvwywyibs1c9s-dejavu-fonts-2.37',
          specified: '1nf0h15p8yvjx36syq1034i3hix99lm8p54iyjw8dpa19i9jfkmd',
          got: '13nayl6lmgg0nhmmanbh6aq76w0cb0i342k3nkcls3yyhzb4rhmd',
          source: 'nix'
        }
      ]
    ])
  })

  it('6. reads the path-less header `error: hash mismatch in fixed-output derivation:`', () => {
    const noPath = { derivation: null, source: 'nix', pasteDamage: ['no-path'] }
    expectSections('paste-pathless-header.excerpt.log', [
      [
        {
          ...noPath,
          specified: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
          got: 'sha256-BlpIDik4hkU4c+KCyAmgUURIN362RDQID/qo6Ojp2Ek='
        }
      ],
      [
        {
          ...noPath,
          specified: 'sha256-reAWLQgGuZQiCiN5yGoVlbN6CT5yxl7lEk2/HbvL2x4=',
          got: 'sha256-YkNPlLZcCguSYdNGWzFNfZbJgmZUhvpB7DRnj++XKqQ='
        }
      ],
      [
        {
          ...noPath,
          specified: 'sha256-dltsfJzogW2IRclhCYy+meqlk0xyuYBg46oGJoANrMs=',
          got: 'sha256-3AZKeYRL4iiJriBpoOYQv/yrv+p67YUnjbMjsgpJLgQ='
        }
      ]
    ])
  })

  it('7. reads re-aligned, padded, quoted and list-indented pairs; elided hashes are no finding', () => {
    expectSections('paste-realigned.excerpt.log', [
      [
        {
          derivation: '/nix/store/5jrd75v747s76s16zxk59384xfcjqn58-bash-5.2.tar.gz.drv',
          specified: 'sha256-oTnBZt9/9EccXgczBRZC7lVWwcyKSnjxRVg8XIGrMvs=',
          got: 'sha256-0ofL38Lr0XXVdJAbqpJb2oCQelqqUmG2z6JLdIRjUkE=',
          source: 'nix'
        }
      ],
      [
        {
          derivation: '/nix/store/nzqbf3y4kqanwi2rq5h1n27qglhlmvmk-head.hackage.ghc.haskell.org.drv',
          specified: 'sha256-7jhEysaHgczdNolOCuE9K6ZpLD3KJzsGSlgPHlZOvlg=',
          got: 'sha256-yFGpWo9ulwBEUyzTLKJBtbCWi7Ly4NEtocBRogdew9g=',
          source: 'nix'
        }
      ],
      [
        {
          derivation: '/nix/store/8xjvnvzqr7c41zv6ccb64r2pdbcamikm-source.drv',
          specified: 'sha256-MujQMrqyxKl32cIzy7JHDeUIDEqDzFp6mr7pM3y9xng=',
          got: 'sha256-IKdXH2UK2CBZTHY8c9eN6JSbqsF4OpIHYH14XEKyrM0=',
          source: 'nix'
        }
      ],
      [
        {
          derivation: '/nix/store/ssmwixlg89pc8v4jsrzp6v5v655jq0n4-180.diff.drv',
          specified: 'sha256-eP7PRxnoKuxfwXoRQN8YsHwaZA0zNsOdzVzYUga87eM=',
          got: 'sha256-vxve8ArNenX/hK1WuVHMaPCghARinkVgdi+v5iLs/aM=',
          source: 'nix'
        }
      ],
      []
    ])
  })

  it('finds no mismatch in any lookalike of the new kinds', () => {
    const sections = pastes('paste-lookalikes.excerpt.log')
    expect(sections.length).toBeGreaterThan(8)
    expect(bySection('paste-lookalikes.excerpt.log', fods)).toEqual(Object.fromEntries(sections.map(p => [p.title, []])))
  })

  it('says what a damaged paste does not name, and the remote builder', () => {
    const [pair] = pastes('paste-pair-alone.excerpt.log')
    const advice = explainFindings(classifyLines(pair.lines))
    expect(advice[0]).toMatch(
      /^A fixed-output derivation \(the paste does not name it\) has a stale fixed-output hash: replace sha256-z4yx/
    )
    const [, nested] = pastes('paste-remote-builder.excerpt.log')
    expect(explainFindings(classifyLines(nested.lines))[0]).toContain('built on ssh://nix@builder.example')
  })
})

describe('issue 16: the BEAM under QEMU user emulation', () => {
  const crashes = (paste: Paste): Findings['beamCrashes'] => classifyLines(paste.lines).beamCrashes

  it('recognises erl, mix or elixir killed by a signal, and whether QEMU said so', () => {
    expectSections(
      'beam-crash.excerpt.log',
      [
        [{ program: '/opt/buildpack/tools/erlang/24.3.4.1/bin/erl', signal: 'SIGSEGV', underQemu: true }],
        [{ program: 'mix', signal: 'SIGSEGV', underQemu: false }],
        [{ program: 'elixir', signal: 'SIGSEGV', underQemu: true }],
        [{ program: 'mix', signal: 'SIGILL', underQemu: true, derivation: '/nix/store/1r7vq7a9w3mfl8v8z4xh3r6a2qf1rk0n-mast-0.1.0.drv' }]
      ],
      crashes
    )
  })

  it('names the fix, ERL_FLAGS="+JMsingle true", and blames the crash for the failed build', () => {
    const nix = pastes('beam-crash.excerpt.log')[3]
    const advice = explainFindings(classifyLines(nix.lines))
    expect(advice[0]).toMatch(
      /^mix \(building mast-0\.1\.0\) was killed by SIGILL under QEMU user emulation: .*ERL_FLAGS="\+JMsingle true"/
    )
    expect(advice[1]).toBe('The builder of mast-0.1.0 failed: the BEAM crash above is the cause.')
    const docker = pastes('beam-crash.excerpt.log')[1]
    expect(beamCrashAdvice(crashes(docker)[0])).toMatch(
      /^mix was killed by SIGSEGV\. If this build ran under QEMU user emulation .*\+JMsingle true/
    )
  })

  it('reaches the build stage’s advice from the failed build’s kept tail', () => {
    const nix = pastes('beam-crash.excerpt.log')[3]
    const drv = '/nix/store/1r7vq7a9w3mfl8v8z4xh3r6a2qf1rk0n-mast-0.1.0.drv'
    const tail = nix.lines.filter(l => l.startsWith('mast-0.1.0> ')).map(l => l.slice('mast-0.1.0> '.length))
    const findings = classifyNixMessages([`builder for '${drv}' failed with exit code 132`], new Map([[drv, tail]]))
    expect(findings.beamCrashes).toEqual([{ program: 'mix', signal: 'SIGILL', underQemu: true, derivation: drv }])
    expect(explainFindings(findings).join('\n')).toContain('ERL_FLAGS="+JMsingle true"')
  })

  it('finds no BEAM crash in its lookalikes', () => {
    const sections = pastes('beam-lookalikes.excerpt.log')
    expect(bySection('beam-lookalikes.excerpt.log', crashes)).toEqual(Object.fromEntries(sections.map(p => [p.title, []])))
  })
})
