// Every shape Nix prints, from real Nix 2.8 captures and sourced excerpts of other versions
// (__tests__/fixtures/nix-logs/*.source.txt), classified as a saved log (`nix-ci explain`).
import { describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { classifyLines } from '../../src/explain/classify.js'
import { toExplainJson } from '../../src/explain/json.js'
import { Findings } from '../../src/explain/types.js'
import { NIX_LOGS, VM_LOGS, allNixLogs, nixLog } from './support.js'

const A = 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
const VENDOR = '/nix/store/s4v5q6jbky9kja4vg9600c26nqlnz7if-mast-vendor-0.1.0.drv'
const VENDOR_GOT = 'sha256-uvagwsLjiRxskDbRIZr+aJFLuso17lTLT94PEFl7v88='
const BROKEN = '/nix/store/phinrkkcw544r33qyd888yrhkdq44mqi-mast-broken-0.1.0.drv'
const VICTIM = '/nix/store/00000000000000000000000000000000-victim-1.0.drv'
const PAYLOAD = '/nix/store/ixm432g2wkgd4bs9p6dx1gjskwrrzlc1-explain-payload-1fbd3703851d'

const classify = (name: string): Findings => classifyLines(nixLog(name))
/** Only the lists that hold something, as the JSON document has them. */
function nonEmpty(findings: Findings): Record<string, unknown> {
  return Object.fromEntries(Object.entries(toExplainJson(findings)).filter(([k, v]) => k !== 'advice' && v.length > 0))
}

describe('real Nix 2.8 captures', () => {
  it('reads a FOD mismatch the same from plain stderr, -L, internal-json and -L internal-json', () => {
    for (const name of [
      'nix-2.8-fod.stderr.log',
      'nix-2.8-fod-L.stderr.log',
      'nix-2.8-fod.internal-json.log',
      'nix-2.8-fod-L.internal-json.log'
    ]) {
      expect(nonEmpty(classify(name))).toEqual({ fodMismatches: [{ derivation: VENDOR, specified: A, got: VENDOR_GOT, source: 'nix' }] })
    }
  })

  it('reads every mismatch of a --keep-going run, plain and internal-json', () => {
    for (const name of ['nix-2.8-keep-going.stderr.log', 'nix-2.8-keep-going.internal-json.log']) {
      const f = classify(name)
      expect(f.fodMismatches.map(m => [(m.derivation ?? '').replace(/^.*?-/, ''), m.source])).toEqual([
        ['mast-mix-deps-0.1.0.drv', 'nix'],
        ['npm-deps-0.1.0.drv', 'nix']
      ])
      expect(f.failedBuilds).toEqual([])
    }
  })

  it('reads a mismatch raised during evaluation (IFD), with and without its trace', () => {
    for (const name of ['nix-2.8-ifd.stderr.log', 'nix-2.8-ifd-show-trace.stderr.log', 'nix-2.8-ifd-show-trace.internal-json.log']) {
      expect(classify(name).fodMismatches).toEqual([
        {
          derivation: '/nix/store/972qy3lly2skl5dmfbikkj7bsgchzygl-ifd-src-0.1.0.drv',
          specified: A,
          got: 'sha256-gt6lcWLjUCcwHDojHdbAzQYwHEH08LftjP3g2XJ4VC4=',
          source: 'nix'
        }
      ])
    }
  })

  it('lists a report printed by a builder as builder-output, never as Nix’s', () => {
    for (const name of [
      'nix-2.8-forged-L.stderr.log',
      'nix-2.8-forged-L.internal-json.log',
      'nix-2.8-forged-last-lines.stderr.log',
      'nix-2.8-forged-last-lines.internal-json.log'
    ]) {
      const victim = classify(name).fodMismatches.filter(m => m.derivation === VICTIM)
      expect(victim).toEqual([
        { derivation: VICTIM, specified: A, got: 'sha256-Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm8=', source: 'builder-output' }
      ])
    }
  })

  it('reads a builder failure with its exit code, plain, -L and internal-json', () => {
    for (const name of [
      'nix-2.8-builder-failed.stderr.log',
      'nix-2.8-builder-failed-L.stderr.log',
      'nix-2.8-builder-failed.internal-json.log',
      'nix-2.8-builder-failed-L.internal-json.log'
    ]) {
      expect(nonEmpty(classify(name))).toEqual({ failedBuilds: [{ derivation: BROKEN, exitCode: 2 }] })
    }
  })

  it('reads a platform refusal and missing kvm/nixos-test features', () => {
    for (const name of ['nix-2.8-platform.stderr.log', 'nix-2.8-platform.internal-json.log']) {
      expect(nonEmpty(classify(name))).toEqual({
        platformMismatches: [
          {
            derivation: '/nix/store/5v8aiv0s817k33a7rc6720dy22vdlwgn-mast-0.1.0.drv',
            requiredSystem: 'riscv64-linux',
            requiredFeatures: [],
            hostSystem: 'x86_64-linux'
          }
        ]
      })
    }
    const kvm = classify('nix-2.8-missing-kvm.stderr.log').platformMismatches
    expect(kvm).toEqual([
      {
        derivation: '/nix/store/7j7d6h5a8cr711xc6lxhl5lsdj9y7rz9-mast-0.1.0.drv',
        requiredSystem: 'x86_64-linux',
        requiredFeatures: ['kvm', 'nixos-test'],
        hostSystem: 'x86_64-linux',
        hostFeatures: ['benchmark', 'big-parallel']
      }
    ])
    expect(classify('nix-2.8-missing-kvm.internal-json.log').platformMismatches[0].requiredFeatures).toEqual(['kvm', 'nixos-test'])
  })

  it('reads an Exec format error out of the builder’s tail (Nix 2.8 says it nowhere else)', () => {
    for (const name of ['nix-2.8-exec-format-error.stderr.log', 'nix-2.8-exec-format-error.internal-json.log']) {
      expect(nonEmpty(classify(name))).toEqual({
        execFormatErrors: [{ executable: '/nix/store/z6ymql1qv79xy8l5kfbhxy18p929hmvd-bb/busybox' }],
        failedBuilds: [{ derivation: '/nix/store/5hyls0yvls15dc3m7p1pjv6h8vh36m0m-mast-0.1.0.drv', exitCode: 1 }]
      })
    }
  })

  it('tells hash errors that are not FOD mismatches apart, by kind', () => {
    const input = {
      kind: 'flake-input',
      url: 'path:/tmp/explain-cap/dep?lastModified=1795261114&narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      expected: A,
      got: 'sha256-vR6J8cA/KqWoF0IkB+jA4BTHV+3Z52mmYCwhcA5MGAY='
    }
    expect(nonEmpty(classify('nix-2.8-flake-input-nar-hash.stderr.log'))).toEqual({ otherHashErrors: [input] })
    expect(nonEmpty(classify('nix-2.8-flake-input-nar-hash.internal-json.log'))).toEqual({ otherHashErrors: [input] })
    expect(nonEmpty(classify('nix-2.8-builtin-fetchurl.stderr.log'))).toEqual({
      otherHashErrors: [
        {
          kind: 'builtin-fetch',
          url: 'file:///tmp/explain-cap/payload.txt',
          expected: `sha256:${'0'.repeat(52)}`,
          got: 'sha256:0qikpj76409v8p7z3ysjiysrd1v57dc3wagnfc56y7r1wh3s48aj'
        }
      ]
    })
    const tampered = {
      kind: 'substitution',
      path: PAYLOAD,
      url: 'file:///tmp/explain-cap/cache',
      expected: `sha256:${'1'.repeat(52)}`,
      got: 'sha256:0kp4s34l6japdr6svs0v8gdg55f8p2wb15aqhqn2zwgaw28n96qj'
    }
    expect(nonEmpty(classify('nix-2.8-copy-from-tampered-cache.stderr.log'))).toEqual({ otherHashErrors: [tampered] })
    expect(nonEmpty(classify('nix-2.8-substitute-tampered-cache.stderr.log'))).toEqual({ otherHashErrors: [tampered] })
    expect(nonEmpty(classify('nix-2.8-untyped-hash.stderr.log'))).toEqual({
      otherHashErrors: [{ kind: 'hash-syntax', expected: '0'.repeat(52) }]
    })
  })
})

describe('other Nix versions (sourced excerpts)', () => {
  it('reads every FOD report shape with its hashes exactly as printed', () => {
    const cases: [string, string, string, string][] = [
      [
        'nix-1.x-should-have.excerpt.log',
        '/nix/store/0rp8hfnws4ngsl3w93pfhkj1bfpr9pb1-hello-2.10.tar.gz',
        '0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i',
        '1nmmpkwp3xj7dbv3sd9ppl0ccnbajx7cfybxsl8vv0yiqxqi6cxr'
      ],
      [
        'nix-2.0-produced-path.excerpt.log',
        '/nix/store/4gl0cdlhj9qfibczr27v3vhwyqhm7p10-bootstrap-tools.tar.xz',
        '0gw6z5w952q0rllzr601kfwf4a8iv841ps1za0h9pzkdhwzknwc1',
        '178y9xk7zmxhp1jfsimgz57s1qyp488g0n5hfw2f0qkwsibqi6dm'
      ],
      [
        'nix-2.3-wanted-got.excerpt.log',
        '/nix/store/cgxhmnx1zhp5y1bibmismnvx1jhkdxmw-mcfly-0.5.0-vendor.tar.gz',
        'sha256:1m454k40yrq6kgh69383m05vbwcjd2nw0k1sxq0gsa5dl2d1q3l2',
        'sha256:1xfd5dvn4wg3hijfqvxb1hpcvp7wrk1kd7zp65g1gy3p40zsc9sk'
      ],
      [
        'nix-2.4pre-banner.excerpt.log',
        '/nix/store/n1ddcrq0lq0i6ya2pbhqq9xizdhml3jy-source',
        'sha256:0xkjhfc3b2xzpkqxld3y4q6ck8xc0nlk1zm2q55xh3bwzgymcvdd',
        'sha256:1j1xdyxfddd7dlwypx8sqljbkbxnkvfjlm4nnzvayjvr3ylh2r3x'
      ],
      [
        'nix-2.2x-cannot-build.excerpt.log',
        '/nix/store/920925xyrf1a5w88hk0cl7f829xpv55x-jmulticard-dependencies.drv',
        'sha256-R68jaMK//TAuJSCctSkSMrM+o6Scyxn58r3bXng3QP4=',
        'sha256-SXwC523NGc81rWWXuqogJ67MTy/uhrfQYVBRwl6KW7k='
      ],
      [
        'nix-2.2x-eval-trace-mismatch.excerpt.log',
        '/nix/store/f0x8m2q1w3c4r5z6y7v8i9n0p1a2s3d4-Packages.drv',
        'sha256-oPly/SWMtFTivgVe12WBNI/U34WmMWSs+SS7t9s2ypI=',
        'sha256-x3MwaM53vqCBBieT+AcRZWF+TSWe9asdIgQgDDj5Yf0='
      ],
      [
        'nix-2.2x-remote-build.excerpt.log',
        '/nix/store/y3sgl0k6v0a4m1x3x5k1r0qk6b6mnq1l-mast-mix-deps-0.1.0.drv',
        A,
        'sha256-3Xl5Qd0FP9pr8kG6o7C0tEv2lJ4nWc0b2bM8sKq1YxA='
      ],
      [
        'lix-likely-url.excerpt.log',
        '/nix/store/dqk53vxysq7lrn1pzwwd850dxm7xq8hj-wpilibutility-linux.tar.gz.drv',
        'sha256-sS2N0iWBLPBK9Fz1mv4Wkez31ZXutPeR6U1XObqTvAw=',
        'sha256-WCLkJTIoJc4SXyQUKtybSc0nQ2PojECWdZFUET5aINg='
      ],
      [
        'lix-likely-url.excerpt.internal-json.log',
        '/nix/store/jnkd2hadihv9f7avj222q6pmz4gyhq65-source.drv',
        'sha256-MM1VZAhcFj527nd1sB9VJ4ksAjJ9o8OW0KrHop97O3o=',
        'sha256-K/Fn3Exvx1r+zwojNQvSwi9JPbeWQfRDOdRBXoW9mFg='
      ],
      [
        'lix-2.93-likely-url-unknown.excerpt.log',
        '/nix/store/b7m0a2wqk3l8d1y9f4x6s5c0v2n1p8r3-demo-pnpm-deps.drv',
        'sha256-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=',
        'sha256-Zm9vYmFyYmF6cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2E='
      ]
    ]
    // What the report says beyond the pair: the remote builder, Lix's URL guess and output paths.
    const extra: Record<string, object> = {
      'nix-2.2x-remote-build.excerpt.log': { remoteBuilder: 'ssh-ng://builder@arm64.example.invalid' },
      'lix-likely-url.excerpt.log': {
        likelyUrl: 'https://example.invalid/wpilibutility-linux.tar.gz',
        expectedPath: '/nix/store/x36bia5b65dj2l5pij10lnicrja162p9-wpilibutility-linux.tar.gz',
        gotPath: '/nix/store/3b8g3gqpwqqg2hzv28aa5klpr26pw6z3-wpilibutility-linux.tar.gz'
      },
      'lix-likely-url.excerpt.internal-json.log': {
        likelyUrl: 'https://example.invalid/v1.2.0.tar.gz',
        expectedPath: '/nix/store/ar4l5nx8x6yisrxr2il0abw3bqpkcg84-source',
        gotPath: '/nix/store/4gb74n9w7qnpw6m3lglwj7qllmlpd1xn-source'
      }
    }
    for (const [name, derivation, specified, got] of cases) {
      expect([name, classify(name).fodMismatches]).toEqual([name, [{ derivation, specified, got, source: 'nix', ...extra[name] }]])
    }
  })

  it('reads a remote build’s failure behind "build of … on … failed:"', () => {
    expect(classify('nix-2.2x-remote-build.excerpt.log').failedBuilds).toEqual([
      { derivation: '/nix/store/0ncb8l9r1s0cxfq2ay5qyhsb2n0cx1pa-mast-0.1.0.drv', exitCode: 1 }
    ])
  })

  it('does not count "Cannot build … Reason: 1 dependency failed" as a build failure of its own', () => {
    expect(classify('nix-2.2x-cannot-build.excerpt.log').failedBuilds).toEqual([])
  })

  it('reads the newer "required system or feature not available" block', () => {
    expect(toExplainJson(classify('nix-2.2x-required-system.excerpt.log')).platformMismatches).toEqual([
      {
        derivation: '/nix/store/a1vqj4y2y4l3k0xj6d1i1p9c8rqz7s0m-mast-0.1.0.drv',
        requiredSystem: 'aarch64-linux',
        requiredFeatures: [],
        hostSystem: 'x86_64-linux'
      },
      {
        derivation: '/nix/store/c2dk3z0fq8x8l5m2b1y9w6a0s4n7p5v1-mast-vm-test-0.1.0.drv',
        requiredSystem: 'x86_64-linux',
        requiredFeatures: ['kvm', 'nixos-test'],
        hostSystem: 'x86_64-linux'
      }
    ])
  })

  it('keeps lookalike hash errors out of fodMismatches', () => {
    const f = classify('lookalikes.excerpt.log')
    expect(f.fodMismatches).toEqual([])
    expect(f.otherHashErrors.map(e => e.kind)).toEqual([
      'substitution',
      'flake-input',
      'flake-input',
      'flake-input',
      'builtin-fetch',
      'builtin-fetch'
    ])
    expect(f.otherHashErrors[3]).toEqual({
      kind: 'flake-input',
      url: '{"narHash":"sha256-dhsvRvyMUrbhFxtp1d3ao1Pz3PjeCwA3dwO+vn9Hso4=","type":"git"}',
      expected: 'sha256-dhsvRvyMUrbhFxtp1d3ao1Pz3PjeCwA3dwO+vn9Hso4=',
      got: 'sha256-Tj4FSyvaGzjMIbwSa9HgT/XSmEB6tZV/8RK+oUWhONM='
    })
  })
})

describe('NixOS VM tests', () => {
  it('names the failed subtest, command and error of every driver excerpt', () => {
    const expected: Record<string, Partial<Record<'subtest' | 'failedCommand' | 'error', string>>> = {
      'driver-2021-exception.log': {
        failedCommand: "must succeed: runuser -u postgres -- psql -d mast -tAc 'SELECT 1 FROM health_checks LIMIT 1'"
      },
      'driver-2025-own-exception.log': {
        subtest: 'mast answers GET / with 2xx/3xx after boot',
        error: 'GET http://127.0.0.1:4000/ answered HTTP 500 after boot; expected 2xx or 3xx'
      },
      'driver-2025-port-timeout.log': {
        failedCommand: 'waiting for TCP port 4000 on localhost',
        error: 'action timed out after 300.41 seconds (timeout=300)'
      },
      'driver-2025-succeed-failed.log': {
        subtest: 'the api answers',
        failedCommand: 'must succeed: curl --fail -sS http://127.0.0.1:4000/api/health'
      },
      'driver-2025-wait-for-unit-failed.log': {
        subtest: 'mast.service reaches active',
        failedCommand: 'waiting for unit mast.service',
        error: 'unit "mast.service" reached state "failed"'
      }
    }
    for (const [file, fields] of Object.entries(expected)) {
      const tests = classifyLines(readFileSync(join(VM_LOGS, file), 'utf8')).vmTests
      expect(tests).toHaveLength(1)
      expect(tests[0]).toMatchObject({ result: 'failed', ...fields })
    }
  })

  it('tells the tests of a -L --keep-going build apart, the passed one included', () => {
    const f = classify('nix-2.2x-vm-test.excerpt.log')
    expect(toExplainJson(f).vmTests).toEqual([
      {
        derivation: '/nix/store/m8v3c1x0z9l2k4j6h5g7f8d0s1a2q3w4-vm-test-run-mast-service.drv',
        result: 'failed',
        subtest: 'the api answers',
        failedCommand: 'must succeed: curl --fail -sS http://127.0.0.1:4000/api/health',
        error: 'command `curl --fail -sS http://127.0.0.1:4000/api/health` failed (exit code 22)'
      },
      { derivation: '/nix/store/p1n2i3v4y5z6r7c8w9q0a1s2d3f4g5h6-vm-test-run-mast-smoke.drv', result: 'passed' }
    ])
  })

  it('reports QEMU’s KVM error as the failure', () => {
    expect(classify('qemu-kvm-denied.excerpt.log').vmTests).toEqual([
      {
        derivation: '/nix/store/z1x2c3v4b5n6m7l8k9j0h1g2f3d4s5a6-vm-test-run-mast-service.drv',
        result: 'failed',
        error: 'Could not access KVM kernel module: Permission denied',
        kvmError: 'Could not access KVM kernel module: Permission denied'
      }
    ])
  })
})

describe('no guesses', () => {
  it('finds nothing in text that is not a Nix failure', () => {
    const text = [
      'Run actions/checkout@v4',
      'hash mismatch? no: this line only talks about one',
      'building the docs failed to impress anyone',
      'cannot build without coffee',
      'the reason: unknown',
      '> quoted markdown',
      'machine learning: starting vm-based pipelines'
    ].join('\n')
    expect(nonEmpty(classifyLines(text))).toEqual({})
    expect(nonEmpty(classifyLines(''))).toEqual({})
  })

  it('has a .source.txt beside every log fixture', () => {
    for (const log of allNixLogs()) expect([log, existsSync(join(NIX_LOGS, log.replace(/\.log$/, '.source.txt')))]).toEqual([log, true])
  })
})

describe('platform refusals of every Nix in the matrix (real stderr, fixtures/nix-json)', () => {
  const capture = (v: string) => readFileSync(join(NIX_LOGS, '..', 'nix-json', `nix-${v}.platform-refusal.stderr.txt`), 'utf8').split('\n')
  it.each(['2.8.0', '2.26.3', '2.34.8'])('Nix %s: a platform refusal and a missing feature, never a failed build', v => {
    const findings = classifyLines(capture(v))
    expect(findings.failedBuilds).toEqual([])
    expect(findings.platformMismatches).toEqual([
      expect.objectContaining({
        derivation: '/nix/store/6hj714x9z0q52p6m2g70czy4bx95gy62-p.drv',
        requiredSystem: 'aarch64-linux',
        hostSystem: 'x86_64-linux'
      }),
      expect.objectContaining({ derivation: '/nix/store/klcyjvfwjmq1vgpkvhcjak6swdcyvgxw-p.drv', requiredFeatures: ['foo', 'kvm'] })
    ])
  })
})
