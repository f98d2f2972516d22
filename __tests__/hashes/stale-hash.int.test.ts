// End to end with real Nix: a flake whose fixed-output derivations carry stale hashes in every
// encoding (and a placeholder) fails to build; the parser reads Nix's reports from internal-json,
// locate finds each hash in the repository, patch writes `got` in place, and Nix then builds it.
import { afterAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FAKE_HASHES, encodeLike, parseHash, toSri } from '../../src/hashes/codec.js'
import { locateStaleHash } from '../../src/hashes/locate.js'
import { readTrackedTextFiles } from '../../src/hashes/repo-files.js'
import { MismatchParser, isActionable } from '../../src/hashes/mismatch-parser.js'
import { patchStaleHashes } from '../../src/hashes/patch.js'
import { readNixConfig } from '../../src/nix/config.js'
import { usesNixDaemon } from '../../src/setup/host.js'
import { Fixture, createFixture, testNix } from '../support/fixtures.js'

const SYSTEM = 'x86_64-linux'
const fixtures: Fixture[] = []
afterAll(() => fixtures.forEach(f => f.cleanup()))

async function build(fixture: Fixture, attr: string) {
  const parser = new MismatchParser({ trust: 'internal-json-only' })
  const result = await testNix().run({
    args: ['build', '--no-link', '--keep-going', '--log-format', 'internal-json', `${fixture.dir}#packages.${SYSTEM}.${attr}`],
    onLine: parser.onLine
  })
  return { exitCode: result.exitCode, ...parser.finish() }
}

describe('stale fixed-output hashes, with real Nix', () => {
  it('detects, locates and patches stale hashes in SRI, nix32, base16 and placeholders; the rebuild succeeds', async () => {
    const fixture = createFixture({
      systems: [SYSTEM],
      fods: [
        { attr: 'sriDeps', content: 'sri', hash: 'stale', encoding: 'sri' },
        { attr: 'nixDeps', content: 'nix32', hash: 'stale', encoding: 'nix32' },
        { attr: 'hexDeps', content: 'base16', hash: 'stale', encoding: 'base16' },
        { attr: 'fakeDeps', content: 'fake', hash: { literal: FAKE_HASHES.fakeSha256 } },
        { attr: 'emptyDeps', content: 'empty', hash: { literal: '' } }
      ],
      packages: [{ attr: 'app', fods: ['sriDeps', 'nixDeps', 'hexDeps', 'fakeDeps', 'emptyDeps'], script: 'cat $deps > $out' }]
    })
    fixtures.push(fixture)
    const flakeBefore = readFileSync(join(fixture.dir, 'flake.nix'), 'utf8')

    const first = await build(fixture, 'app')
    expect(first.exitCode).not.toBe(0)
    let mismatches = first.mismatches.filter(isActionable)
    if (await usesNixDaemon((await readNixConfig(testNix())).store)) {
      // A daemon relays most of a --keep-going build's errors as plain text, without raw_msg: not
      // Nix's structured word. As the stage does, each FOD it left unconfirmed is built alone,
      // where Nix reports its mismatch in structured form.
      const named = new Set(mismatches.map(m => m.derivation))
      const unconfirmed = ['sriDeps', 'nixDeps', 'hexDeps', 'fakeDeps', 'emptyDeps'].filter(
        attr => ![...named].some(d => d.endsWith(`-${attr}-0.1.0.drv`))
      )
      const alone = await Promise.all(unconfirmed.map(attr => build(fixture, attr)))
      mismatches = [...mismatches, ...alone.flatMap(run => run.mismatches.filter(isActionable))]
    }
    const byName = new Map(mismatches.map(m => [m.derivation.replace(/^.*?-/, '').replace(/-0\.1\.0\.drv$/, ''), m]))
    expect([...byName.keys()].sort()).toEqual(['emptyDeps', 'fakeDeps', 'hexDeps', 'nixDeps', 'sriDeps'])
    // Nix reports `got` as SRI whatever the flake holds; it must be the real hash of the content.
    for (const [name, m] of byName) expect(toSri(m.got)).toBe(fixture.correctHash[name])

    const files = await readTrackedTextFiles(fixture.dir)
    const located = mismatches.map(m => ({ m, result: locateStaleHash(files, m) }))
    for (const { result } of located) expect(result.kind).toBe('found')
    const encodings = Object.fromEntries(
      located.map(({ m, result }) => [
        m.derivation.replace(/^.*?-(\w+)-0\.1\.0\.drv$/, '$1'),
        result.kind === 'found' ? result.occurrence.encoding : '?'
      ])
    )
    expect(encodings).toEqual({ sriDeps: 'sri', nixDeps: 'nix32', hexDeps: 'base16', fakeDeps: 'nix32', emptyDeps: 'empty-string' })

    const patched = patchStaleHashes(
      fixture.dir,
      located.map(({ m, result }) => {
        if (result.kind !== 'found') throw new Error(result.message)
        return { occurrence: result.occurrence, got: m.got }
      })
    )
    expect(patched).toHaveLength(5)

    // Exactly the five hashes changed, each written in its old form (the flake is ASCII: offsets
    // are character offsets).
    let expected = flakeBefore
    const edits = located.flatMap(({ m, result }) => (result.kind === 'found' ? [{ m, o: result.occurrence }] : []))
    for (const { m, o } of edits.sort((a, b) => b.o.offset - a.o.offset)) {
      const after = encodeLike(parseHash(m.got), o.text)
      expect(patched.find(p => p.line === o.line)?.after).toBe(after)
      expected = expected.slice(0, o.offset) + after + expected.slice(o.offset + o.text.length)
    }
    expect(readFileSync(join(fixture.dir, 'flake.nix'), 'utf8')).toBe(expected)
    expect(fixture.git('diff', '--numstat')).toBe('5\t5\tflake.nix')

    const second = await build(fixture, 'app')
    expect(second.mismatches).toEqual([])
    expect(second.exitCode).toBe(0)
  })
})
