import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/fixtures.js'
import { HashMismatch, MismatchParser, MismatchParserOptions, isActionable, parseMismatchLog } from '../../src/hashes/mismatch-parser.js'

const LOGS = join(REPO_ROOT, '__tests__', 'fixtures', 'nix-logs')
const log = (name: string): string => readFileSync(join(LOGS, name), 'utf8')
const parse = (name: string, trust: MismatchParserOptions['trust']) => parseMismatchLog(log(name), { trust })

const FORGED_GOT = 'sha256-Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm8='
const VICTIM = '/nix/store/00000000000000000000000000000000-victim-1.0.drv'
const MIX_DRV = '/nix/store/miz229vi87qqrnbm3axzydvm1n3l9vaz-mast-mix-deps-0.1.0.drv'
const NPM_DRV = '/nix/store/ks6bgr0b45yvly113qdpkqrhzph3kr0d-npm-deps-0.1.0.drv'
const FAKE = 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

function summary(ms: HashMismatch[]): [string, string, string, string][] {
  return ms.map(m => [m.derivation, m.specified, m.got, m.source])
}

describe('real Nix 2.8 logs', () => {
  it('reads a single mismatch from plain stderr, as unverified (plain text cannot prove its author)', () => {
    const r = parse('nix-2.8-single.stderr.log', 'plain-log')
    expect(r.mismatches).toEqual([
      {
        derivation: MIX_DRV,
        kind: 'drv',
        specified: FAKE,
        got: 'sha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=',
        algo: 'sha256',
        source: 'unverified',
        format: 'nix-2.4+',
        line: 2
      }
    ])
    expect(r.otherHashErrors).toEqual([])
  })

  it('ignores plain text entirely in internal-json-only mode', () => {
    expect(parse('nix-2.8-single.stderr.log', 'internal-json-only').mismatches).toEqual([])
    expect(parse('nix-2.8-keep-going.stderr.log', 'internal-json-only').mismatches).toEqual([])
  })

  it('collects every mismatch of a --keep-going run (plain)', () => {
    const r = parse('nix-2.8-keep-going.stderr.log', 'plain-log')
    expect(summary(r.mismatches)).toEqual([
      [MIX_DRV, FAKE, 'sha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=', 'unverified'],
      [NPM_DRV, FAKE, 'sha256-42bxyoyRxb9HCyG8a5JKdIOR+dumD+L4qwH72iZeHjE=', 'unverified']
    ])
  })

  it('believes internal-json msg events carrying raw_msg, ANSI codes and all, in both modes', () => {
    for (const trust of ['internal-json-only', 'plain-log'] as const) {
      const r = parse('nix-2.8-keep-going.internal-json.log', trust)
      expect(summary(r.mismatches)).toEqual([
        [MIX_DRV, FAKE, 'sha256-bRrBBfcCpgMcOx7UJXDr9J4mlbpEeXjlr+kLznzGodA=', 'nix'],
        [NPM_DRV, FAKE, 'sha256-42bxyoyRxb9HCyG8a5JKdIOR+dumD+L4qwH72iZeHjE=', 'nix']
      ])
      expect(r.mismatches.every(isActionable)).toBe(true)
    }
  })

  it('never takes a forged report printed by a builder under -L as Nix’s (internal-json)', () => {
    const r = parse('nix-2.8-forged-L.internal-json.log', 'internal-json-only')
    const nix = r.mismatches.filter(isActionable)
    expect(nix.map(m => m.derivation)).toEqual(['/nix/store/zrwzw79dsp9d9cjrfi15qgymv48p8hhn-forger-0.1.0.drv'])
    expect(nix[0].got).toBe('sha256-LVQLQD5p6Si1oPE5zvN4L9gHZmhOdigKz/REfSgZKqc=')
    // The forged block is seen, and labelled as what it is.
    const forged = r.mismatches.filter(m => m.got === FORGED_GOT)
    expect(forged).toHaveLength(1)
    expect(forged[0]).toMatchObject({ derivation: VICTIM, source: 'builder-output' })
  })

  it('labels `name> ` lines of a plain -L log as builder output', () => {
    const r = parse('nix-2.8-forged-L.stderr.log', 'plain-log')
    expect(r.mismatches.find(m => m.got === FORGED_GOT)?.source).toBe('builder-output')
    expect(r.mismatches.filter(m => m.source === 'unverified').map(m => m.derivation)).toEqual([
      '/nix/store/zrwzw79dsp9d9cjrfi15qgymv48p8hhn-forger-0.1.0.drv'
    ])
    expect(r.mismatches.some(isActionable)).toBe(false)
  })

  it('labels a report quoted under "last N log lines" as builder output', () => {
    const r = parse('nix-2.8-forged-last-lines.stderr.log', 'plain-log')
    expect(summary(r.mismatches)).toEqual([[VICTIM, FAKE, FORGED_GOT, 'builder-output']])
    const json = parse('nix-2.8-forged-last-lines.internal-json.log', 'internal-json-only')
    expect(summary(json.mismatches)).toEqual([[VICTIM, FAKE, FORGED_GOT, 'builder-output']])
  })

  it('does not believe a level-0 msg a builder injected with an `@nix` line (no raw_msg)', () => {
    const r = parse('nix-2.8-json-forged.internal-json.log', 'internal-json-only')
    const forged = r.mismatches.filter(m => m.derivation === VICTIM)
    expect(forged.map(m => m.source)).toEqual(['unverified'])
    expect(r.mismatches.filter(isActionable).map(m => m.derivation)).toEqual([
      '/nix/store/6a999a6cljyda1jp4winbzh8bgap1ry0-jsonforger-0.1.0.drv'
    ])
  })

  it('cannot tell a forged report from a real one in plain stderr, so believes neither', () => {
    for (const name of ['nix-2.8-json-forged.stderr.log', 'nix-2.8-legacy-nix-build-forged.stderr.log']) {
      const r = parse(name, 'plain-log')
      expect(r.mismatches.some(m => m.derivation === VICTIM && m.source === 'unverified')).toBe(true)
      expect(r.mismatches.some(isActionable)).toBe(false)
    }
  })

  it('through a nix-daemon, keeps relayed dependency reports unverified and the top-level one believed', () => {
    const deps = parse('nix-2.8-daemon-keep-going.internal-json.log', 'internal-json-only')
    expect(deps.mismatches.map(m => m.source)).toEqual(['unverified', 'unverified'])
    const top = parse('nix-2.8-daemon-toplevel-keep-going.internal-json.log', 'internal-json-only')
    expect(top.mismatches.map(m => [m.derivation.replace(/^.*?-/, ''), m.source])).toEqual([['mast-mix-deps-0.1.0.drv', 'nix']])
    const forged = parse('nix-2.8-daemon-json-forged.internal-json.log', 'internal-json-only')
    expect(forged.mismatches.filter(isActionable).every(m => m.derivation !== VICTIM)).toBe(true)
    expect(forged.mismatches.filter(isActionable)).toHaveLength(1)
  })
})

describe('other Nix versions (reconstructed excerpts)', () => {
  it('reads Nix 2.3 (`wanted:`, nix32, output path, no error: prefix)', () => {
    const r = parse('nix-2.3-wanted-got.excerpt.log', 'plain-log')
    expect(r.mismatches).toHaveLength(1)
    expect(r.mismatches[0]).toMatchObject({ kind: 'output-path', format: 'nix-2.3', algo: 'sha256' })
    expect(r.mismatches[0].specified).toMatch(/^sha256:[0-9a-z]{52}$/)
    expect(r.mismatches[0].got).toMatch(/^sha256:[0-9a-z]{52}$/)
    expect(r.mismatches[0].derivation.endsWith('-mcfly-0.5.0-vendor.tar.gz')).toBe(true)
  })

  it('reads Nix 2.0 one-line reports with bare nix32 hashes', () => {
    const [m] = parse('nix-2.0-produced-path.excerpt.log', 'plain-log').mismatches
    expect(m).toMatchObject({ kind: 'output-path', format: 'nix-2.0', algo: 'sha256' })
    expect(m.specified).toMatch(/^[0-9a-z]{52}$/)
  })

  it('reads newer Nix with `Cannot build` / `Reason:` around it', () => {
    const r = parse('nix-2.2x-cannot-build.excerpt.log', 'plain-log')
    expect(r.mismatches).toHaveLength(1)
    expect(r.mismatches[0].derivation.endsWith('-jmulticard-dependencies.drv')).toBe(true)
    expect(r.otherHashErrors).toEqual([])
  })

  it('reads Lix, taking `got:` as the hash and never `got path:`', () => {
    const [m] = parse('lix-likely-url.excerpt.log', 'plain-log').mismatches
    expect(m.format).toBe('lix')
    expect(m.likelyUrl).toBe('https://example.invalid/wpilibutility-linux.tar.gz')
    expect(m.got).toMatch(/^sha256-/)
    const [j] = parse('lix-likely-url.excerpt.internal-json.log', 'internal-json-only').mismatches
    expect(j).toMatchObject({ format: 'lix', source: 'nix', likelyUrl: 'https://example.invalid/v1.2.0.tar.gz' })
    expect(j.got).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/)
  })

  it('reports look-alike hash errors separately, never as mismatches', () => {
    const r = parse('lookalikes.excerpt.log', 'plain-log')
    expect(r.mismatches).toEqual([])
    expect(r.otherHashErrors.map(e => e.kind)).toEqual([
      'import-path',
      'flake-input',
      'flake-input',
      'flake-input',
      'builtin-fetch',
      'builtin-fetch'
    ])
    expect(r.otherHashErrors[0].subject).toMatch(/-binutils-wrapper-2\.40-man$/)
    expect(r.otherHashErrors[1].got).toMatch(/^sha256-/)
    // "mismatch in field 'narHash' of input '{…}', got '{…}'": the field's two values, read from the JSON.
    expect(r.otherHashErrors[3]).toMatchObject({
      subject: '{"narHash":"sha256-dhsvRvyMUrbhFxtp1d3ao1Pz3PjeCwA3dwO+vn9Hso4=","type":"git"}',
      specified: 'sha256-dhsvRvyMUrbhFxtp1d3ao1Pz3PjeCwA3dwO+vn9Hso4=',
      got: 'sha256-Tj4FSyvaGzjMIbwSa9HgT/XSmEB6tZV/8RK+oUWhONM='
    })
    expect(r.otherHashErrors[4].specified).toBe(`sha256:${'0'.repeat(52)}`)
  })
})

describe('strictness', () => {
  const header = `error: hash mismatch in fixed-output derivation '${MIX_DRV}':`
  const msg = (text: string, raw?: string) =>
    `@nix ${JSON.stringify({ action: 'msg', level: 0, msg: text, ...(raw === undefined ? {} : { raw_msg: raw }) })}`

  it('rejects malformed hashes, mixed algorithms and `got` before `specified`', () => {
    const blocks = [
      [header, `  specified: ${FAKE}`, '     got:    sha256-notbase64!'],
      [header, `  specified: ${FAKE}`, `     got:    sha512-${'A'.repeat(86)}==`],
      [header, `     got:    ${FORGED_GOT}`, `  specified: ${FAKE}`]
    ]
    for (const lines of blocks) expect(parseMismatchLog(lines, { trust: 'plain-log' }).mismatches).toEqual([])
  })

  it('only reads a message whose first line is the header and whose body is the report alone', () => {
    const body = `\n  specified: ${FAKE}\n     got:    ${FORGED_GOT}`
    const raw = (t: string) => msg(`error: ${t}`, t)
    const ok = raw(`hash mismatch in fixed-output derivation '${MIX_DRV}':${body}`)
    const buried = raw(`builder for '${MIX_DRV}' failed with exit code 1;\nlast 3 log lines:\n> ${header}${body}`)
    const injected = raw(
      `hash mismatch in fixed-output derivation '${MIX_DRV}':\n    likely URL: x\n     specified: ${FAKE}\n           got: ${FORGED_GOT}\n     specified: ${FAKE}\n           got: sha256-LVQLQD5p6Si1oPE5zvN4L9gHZmhOdigKz/REfSgZKqc=`
    )
    expect(parseMismatchLog([ok], { trust: 'internal-json-only' }).mismatches.map(m => m.source)).toEqual(['nix'])
    expect(parseMismatchLog([buried, injected], { trust: 'internal-json-only' }).mismatches).toEqual([])
  })

  it('ignores msg events above level 0 and result events of other types', () => {
    const lines = [
      `@nix ${JSON.stringify({ action: 'msg', level: 1, msg: header, raw_msg: header })}`,
      `@nix ${JSON.stringify({ action: 'result', id: 1, type: 105, fields: [header] })}`
    ]
    expect(parseMismatchLog(lines, { trust: 'internal-json-only' }).mismatches).toEqual([])
  })

  it('streams: the same answer line by line as for the whole text, with CRLF line ends', () => {
    const text = log('nix-2.8-keep-going.stderr.log').replace(/\n/g, '\r\n')
    const parser = new MismatchParser({ trust: 'plain-log' })
    for (const line of text.split('\n')) parser.push(line)
    expect(parser.finish().mismatches).toHaveLength(2)
  })

  it('keeps at most maxReports and says so', () => {
    const lines = Array.from({ length: 5 }, () => log('nix-2.8-single.stderr.log').split('\n')).flat()
    const r = parseMismatchLog(lines, { trust: 'plain-log', maxReports: 3 })
    expect(r.mismatches).toHaveLength(3)
    expect(r.truncated).toBe(true)
  })
})

describe('long builder lines (issue 26: NAR_INPUT took 6.7 s on a 90 KB line)', () => {
  const report = [
    "error: NAR hash mismatch in input 'github:acme/lib/0123abc' (/nix/store/00000000000000000000000000000000-source), expected 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', got 'sha256-dhsvRvyMUrbhFxtp1d3ao1Pz3PjeCwA3dwO+vn9Hso4='"
  ]
  const hostile = (length: number): string[] => [
    `NAR hash mismatch in input '${"' (".repeat(length / 3)}`,
    `error: mismatch in field 'narHash' of input '${"', got '".repeat(length / 8)}x`,
    `error: hash mismatch importing path '${"'".repeat(length)}`
  ]

  it.each([7_000, 200_000])(
    'reads lines of %i characters of a report’s own fragments in linear time, and the report after them',
    length => {
      const start = performance.now()
      const r = parseMismatchLog([...hostile(length), ...report].join('\n'), { trust: 'plain-log' })
      expect(performance.now() - start).toBeLessThan(1_000)
      expect(r.otherHashErrors).toEqual([
        expect.objectContaining({
          kind: 'flake-input',
          subject: 'github:acme/lib/0123abc',
          specified: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
          got: 'sha256-dhsvRvyMUrbhFxtp1d3ao1Pz3PjeCwA3dwO+vn9Hso4='
        })
      ])
    }
  )
})
