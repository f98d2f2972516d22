import { describe, expect, it } from '@jest/globals'
import { toNix32 } from '../../src/hashes/codec.js'
import { locateStaleHash, type StaleHash } from '../../src/hashes/locate.js'
import { readTrackedTextFiles } from '../../src/hashes/repo-files.js'
import { useCleanup } from '../support/cleanup.js'
import { TestRepo, createRepo, digest, drvPath, sri } from '../support/hash-fixtures.js'

const track = useCleanup()
const repo = (files: Parameters<typeof createRepo>[0]) => track(createRepo(files))
const locate = async (r: TestRepo, stale: StaleHash) => locateStaleHash(await readTrackedTextFiles(r.dir), stale)

const FAKE = `sha256-${'A'.repeat(43)}=`
const stale = digest('stale')
const other = digest('other')

function fod(name: string, hashLine: string): string {
  return `  ${name.replace(/-[0-9].*$/, '')} = derivation {\n    name = "${name}";\n    ${hashLine}\n  };\n`
}

describe('locating a stale hash by value', () => {
  const spellings: [string, string, string][] = [
    ['SRI', sri(stale), 'sri'],
    ['sha256:-prefixed nix32', `sha256:${toNix32(stale)}`, 'nix32'],
    ['bare nix32', toNix32(stale), 'nix32'],
    ['bare base16', stale.toString('hex'), 'base16'],
    ['upper-case base16', stale.toString('hex').toUpperCase(), 'base16'],
    ['sha256:-prefixed base16', `sha256:${stale.toString('hex')}`, 'base16'],
    ['sha256:-prefixed base64', `sha256:${stale.toString('base64')}`, 'base64']
  ]
  it.each(spellings)('finds it written as %s although Nix reports SRI', async (_what, written, encoding) => {
    const r = repo({
      'flake.nix': `{\n  # a comment with ${sri(other)}\n  outputs = { self }: {\n${fod('deps-0.1.0', `outputHash = "${written}";`)}  };\n}\n`
    })
    const result = await locate(r, { derivation: drvPath('deps-0.1.0'), specified: sri(stale) })
    expect(result.kind).toBe('found')
    if (result.kind !== 'found') return
    expect(result.occurrence).toMatchObject({
      file: 'flake.nix',
      line: 6,
      column: 19,
      text: written,
      encoding,
      prefixed: written.startsWith('sha256:'),
      fake: false,
      attribute: 'outputHash'
    })
  })

  it('finds hashes in any tracked text file, e.g. JSON, and counts columns in characters', async () => {
    const r = repo({ 'nix/deps.json': `{"ünïcode": "x", "hash": "${stale.toString('hex')}"}\n` })
    const result = await locate(r, { derivation: drvPath('deps-0.1.0'), specified: sri(stale) })
    // ü and ï are two bytes each: column 27 in characters is byte offset 28.
    expect(result.kind === 'found' && [result.occurrence.file, result.occurrence.column, result.occurrence.offset]).toEqual([
      'nix/deps.json',
      27,
      28
    ])
  })

  it('ignores comments, untracked files, binary files and files over 1 MiB', async () => {
    const r = repo({
      'a.nix': `{ /* sha256 = "${sri(stale)}"; */\n  # hash = "${sri(stale)}";\n}\n`,
      'untracked.nix': { content: `{ hash = "${sri(stale)}"; }`, untracked: true },
      'blob.bin': Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(sri(stale))]),
      'huge.txt': `${'x'.repeat(1 << 20)}\n${sri(stale)}\n`
    })
    const result = await locate(r, { derivation: drvPath('deps-0.1.0'), specified: sri(stale) })
    expect(result.kind).toBe('not-found')
    expect(result.message).toMatch(/2 tracked files were skipped/)
    expect(result.message).toMatch(/"got"/)
  })

  it('does not take a hash that is part of a longer token', async () => {
    const r = repo({ 'a.nix': `{ x = "abc${toNix32(stale)}"; y = "${stale.toString('hex')}ff"; }\n` })
    expect((await locate(r, { derivation: drvPath('a-1'), specified: sri(stale) })).kind).toBe('not-found')
  })

  it('picks, among identical hashes, the one whose attrset names the derivation', async () => {
    const r = repo({
      'flake.nix': `{\n${fod('alpha-0.1.0', `outputHash = "${sri(stale)}";`)}${fod('beta-0.1.0', `outputHash = "${sri(stale)}";`)}}\n`
    })
    const result = await locate(r, { derivation: drvPath('beta-0.1.0'), specified: sri(stale) })
    expect(result.kind).toBe('found')
    expect(result.kind === 'found' && result.occurrence.line).toBe(8)
    expect(result.candidates).toHaveLength(2)
  })

  it('reports the same hash standing for several unnamed derivations as ambiguous, listing each place', async () => {
    const r = repo({
      'a.nix': `{ src = fetchurl { url = "https://x/a.tgz"; hash = "${sri(stale)}"; }; }\n`,
      'b.nix': `{ src = fetchurl { url = "https://x/b.tgz"; hash = "${sri(stale)}"; }; }\n`
    })
    const result = await locate(r, { derivation: drvPath('c.tgz'), specified: sri(stale) })
    expect(result.kind).toBe('ambiguous')
    expect(result.candidates.map(c => `${c.file}:${c.line}`)).toEqual(['a.nix:1', 'b.nix:1'])
    expect(result.message).toContain('a.nix:1:')
    expect(result.message).toContain('b.nix:1:')
    expect(result.message).toMatch(/does not guess/)
  })
})

describe('locating a placeholder (fake) hash through the derivation', () => {
  it.each([
    ['lib.fakeHash', 'hash = lib.fakeHash;', 'lib.fakeHash', 'fake-expression'],
    ['lib.fakeSha256', 'sha256 = lib.fakeSha256;', 'lib.fakeSha256', 'fake-expression'],
    ['the empty string', 'outputHash = "";', '', 'empty-string'],
    ['all-A SRI', `hash = "${FAKE}";`, FAKE, 'sri'],
    ['all-zero nix32', `sha256 = "${'0'.repeat(52)}";`, '0'.repeat(52), 'nix32'],
    ['all-zero base16', `outputHash = "${'0'.repeat(64)}";`, '0'.repeat(64), 'base16']
  ])('finds %s by the name of its attrset', async (_what, line, text, encoding) => {
    const r = repo({
      'flake.nix': `{\n${fod('alpha-0.1.0', 'hash = lib.fakeHash;')}${fod('mast-mix-deps-0.1.0', line)}}\n`
    })
    const result = await locate(r, { derivation: drvPath('mast-mix-deps-0.1.0'), specified: FAKE })
    expect(result.kind).toBe('found')
    if (result.kind !== 'found') return
    expect(result.occurrence).toMatchObject({ line: 8, text, encoding, fake: true })
  })

  it('resolves pname templates such as mixFodDeps’ "mix-deps-${pname}"', async () => {
    const r = repo({
      'nix/package.nix': [
        '{ beamPackages, lib }:',
        'beamPackages.mixRelease rec {',
        '  pname = "mast";',
        '  version = "0.1.0";',
        '  mixFodDeps = beamPackages.fetchMixDeps {',
        '    pname = "mix-deps-${pname}";',
        '    inherit src version;',
        '    hash = lib.fakeHash;',
        '  };',
        '  npmDeps = fetchNpmDeps { name = "${pname}-npm-deps"; hash = lib.fakeHash; };',
        '}',
        ''
      ].join('\n')
    })
    const mix = await locate(r, { derivation: drvPath('mix-deps-mast-0.1.0'), specified: FAKE })
    expect(mix.kind === 'found' && mix.occurrence.line).toBe(8)
    const npm = await locate(r, { derivation: drvPath('mast-npm-deps'), specified: FAKE })
    expect(npm.kind === 'found' && npm.occurrence.line).toBe(10)
  })

  it('ties a fetcher’s placeholder to its "source" derivation, but only when there is one', async () => {
    const one = repo({ 'p.nix': '{ src = fetchFromGitHub { owner = "o"; repo = "r"; rev = "v1"; hash = ""; }; }\n' })
    const found = await locate(one, { derivation: drvPath('source'), specified: FAKE })
    expect(found.kind === 'found' && found.occurrence.encoding).toBe('empty-string')

    const two = repo({
      'p.nix':
        '{\n  a = fetchFromGitHub { owner = "o"; repo = "a"; hash = lib.fakeHash; };\n  b = fetchzip { url = "u"; hash = lib.fakeHash; };\n}\n'
    })
    const amb = await locate(two, { derivation: drvPath('source'), specified: FAKE })
    expect(amb.kind).toBe('ambiguous')
    expect(amb.candidates.map(c => c.line)).toEqual([2, 3])
  })

  it('does not guess when nothing ties the only placeholder to the derivation', async () => {
    const r = repo({ 'a.nix': '{ x = mkThing { hash = lib.fakeHash; }; }\n' })
    const result = await locate(r, { derivation: drvPath('unrelated-1.0'), specified: FAKE })
    expect(result.kind).toBe('ambiguous')
    expect(result.candidates).toHaveLength(1)
    expect(result.message).toMatch(/a\.nix:1:.*hash = lib\.fakeHash/)
  })

  it('ignores placeholders of another algorithm, in comments, or bound to non-hash attributes', async () => {
    const r = repo({
      'a.nix': `{\n  a = { name = "x-1"; hash = lib.fakeSha512; };\n  # b = { name = "x-1"; hash = lib.fakeHash; };\n  c = { name = "x-1"; description = ""; };\n}\n`
    })
    const result = await locate(r, { derivation: drvPath('x-1'), specified: FAKE })
    expect(result.kind).toBe('not-found')
    expect(result.message).toMatch(/lib\.fakeHash/)
  })
})
