import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toNix32 } from '../../src/hashes/codec.js'
import { HashOccurrence, locateStaleHash } from '../../src/hashes/locate.js'
import { HashPatchError, patchStaleHashes } from '../../src/hashes/patch.js'
import { readTrackedTextFiles } from '../../src/hashes/repo-files.js'
import { useCleanup } from '../support/cleanup.js'
import { TestRepo, createRepo, digest, drvPath, sri } from '../support/hash-fixtures.js'

const track = useCleanup()
const repo = (files: Parameters<typeof createRepo>[0]) => track(createRepo(files))

const FAKE = `sha256-${'A'.repeat(43)}=`
const stale = digest('patch stale')
const got = digest('patch got')
const GOT = sri(got)

async function locate(r: TestRepo, name: string, specified: string): Promise<HashOccurrence> {
  const result = locateStaleHash(await readTrackedTextFiles(r.dir), { derivation: drvPath(name), specified })
  if (result.kind !== 'found') throw new Error(result.message)
  return result.occurrence
}

const bytes = (r: TestRepo, file: string) => readFileSync(join(r.dir, file))

describe('patching a located hash', () => {
  it.each([
    ['SRI', sri(stale), GOT],
    ['sha256:nix32', `sha256:${toNix32(stale)}`, `sha256:${toNix32(got)}`],
    ['bare nix32', toNix32(stale), toNix32(got)],
    ['bare base16', stale.toString('hex'), got.toString('hex')],
    ['upper-case base16', stale.toString('hex').toUpperCase(), got.toString('hex').toUpperCase()],
    ['sha256:base16', `sha256:${stale.toString('hex')}`, `sha256:${got.toString('hex')}`]
  ])('writes got in the same form when the file holds %s', async (_what, before, after) => {
    const text = (h: string) => `{\n  deps = derivation {\n    name = "deps-1.0";\n    outputHash = "${h}";\n  };\n}\n`
    const r = repo({ 'flake.nix': text(before) })
    const [patched] = patchStaleHashes(r.dir, [{ occurrence: await locate(r, 'deps-1.0', sri(stale)), got: GOT }])
    expect(bytes(r, 'flake.nix').toString('latin1')).toBe(text(after))
    expect(patched).toEqual({ file: 'flake.nix', line: 4, column: 19, lineByteOffset: 18, before, after })
  })

  it.each([
    ['lib.fakeHash', 'hash = lib.fakeHash;', `hash = "${GOT}";`],
    ['the empty string', 'hash = "";', `hash = "${GOT}";`],
    ['all-A SRI', `hash = "${FAKE}";`, `hash = "${GOT}";`],
    ['lib.fakeSha256 value', `sha256 = "${'0'.repeat(52)}";`, `sha256 = "${toNix32(got)}";`]
  ])('replaces the placeholder %s with a real hash', async (_what, line, expected) => {
    const r = repo({ 'a.nix': `{ x = { name = "x-1"; ${line} }; }\n` })
    patchStaleHashes(r.dir, [{ occurrence: await locate(r, 'x-1', FAKE), got: GOT }])
    expect(bytes(r, 'a.nix').toString()).toBe(`{ x = { name = "x-1"; ${expected} }; }\n`)
  })

  it('keeps CRLF line ends, a missing final newline and every other byte', async () => {
    const before = Buffer.from(`{\r\n  # \u00e9t\u00e9\r\n  a = { name = "a-1"; hash = "${sri(stale)}"; };\r\n  b = 1;\t \r\n}`, 'utf8')
    const r = repo({ 'crlf.nix': before })
    patchStaleHashes(r.dir, [{ occurrence: await locate(r, 'a-1', sri(stale)), got: GOT }])
    const after = bytes(r, 'crlf.nix')
    expect(after.equals(Buffer.from(before.toString('utf8').replace(sri(stale), GOT), 'utf8'))).toBe(true)
    expect(after.subarray(-1).toString()).toBe('}')
    expect(after.toString('latin1').split('\r\n')).toHaveLength(5)
  })

  it('keeps the executable bit (and a read-only mode)', async () => {
    const r = repo({
      'update.sh': { content: `#!/bin/sh\n# name = "s-1"\nHASH=${stale.toString('hex')}\n`, mode: 0o755 },
      'ro.nix': { content: `{ name = "r-1"; hash = "${sri(stale)}"; }\n`, mode: 0o444 }
    })
    const result = locateStaleHash(await readTrackedTextFiles(r.dir), { derivation: drvPath('s-1'), specified: sri(stale) })
    expect(result.kind).toBe('ambiguous') // the same hash stands in two files
    patchStaleHashes(
      r.dir,
      result.candidates.map(occurrence => ({ occurrence, got: GOT }))
    )
    expect(statSync(join(r.dir, 'update.sh')).mode & 0o7777).toBe(0o755)
    expect(statSync(join(r.dir, 'ro.nix')).mode & 0o7777).toBe(0o444)
    expect(bytes(r, 'update.sh').toString()).toContain(`HASH=${got.toString('hex')}\n`)
    expect(r.git('diff', '--name-only')).toBe('ro.nix\nupdate.sh')
    expect(r.git('diff', '--summary')).toBe('') // git sees no mode change
  })

  it('applies several patches to one file at once', async () => {
    const other = digest('second stale')
    const r = repo({
      'two.nix': `{\n  a = { name = "a-1"; hash = "${sri(stale)}"; };\n  b = { name = "b-1"; sha256 = "${toNix32(other)}"; };\n}\n`
    })
    const occurrences = [await locate(r, 'a-1', sri(stale)), await locate(r, 'b-1', sri(other))]
    patchStaleHashes(
      r.dir,
      occurrences.map(occurrence => ({ occurrence, got: GOT }))
    )
    expect(bytes(r, 'two.nix').toString()).toBe(
      `{\n  a = { name = "a-1"; hash = "${GOT}"; };\n  b = { name = "b-1"; sha256 = "${toNix32(got)}"; };\n}\n`
    )
  })
})

describe('refusals', () => {
  const setup = async () => {
    const r = repo({ 'a.nix': `{ name = "a-1"; hash = "${sri(stale)}"; }\n` })
    return { r, occurrence: await locate(r, 'a-1', sri(stale)), original: bytes(r, 'a.nix') }
  }

  it.each([
    ['a malformed got', 'sha256-tooShort='],
    ['a bare got (Nix always prints the algorithm)', 'not-a-hash'],
    ['a placeholder as got', FAKE],
    ['a got of another algorithm', `sha512-${digest('x').toString('base64').repeat(2).slice(0, 86)}==`]
  ])('refuses %s and leaves the file alone', async (_what, badGot) => {
    const { r, occurrence, original } = await setup()
    expect(() => patchStaleHashes(r.dir, [{ occurrence, got: badGot }])).toThrow()
    expect(bytes(r, 'a.nix').equals(original)).toBe(true)
  })

  it('refuses when the file changed after the hash was located', async () => {
    const { r, occurrence } = await setup()
    writeFileSync(join(r.dir, 'a.nix'), `# edited\n{ name = "a-1"; hash = "${sri(stale)}"; }\n`)
    expect(() => patchStaleHashes(r.dir, [{ occurrence, got: GOT }])).toThrow(/locate it again/)
  })

  it('refuses a file reached through a folder symlink that leads out of the repository, and leaves it as it was', async () => {
    const { r, occurrence } = await setup()
    const outside = mkdtempSync(join(tmpdir(), 'nix-ci-outside-'))
    track({ cleanup: () => rmSync(outside, { recursive: true, force: true }) })
    const text = `{ name = "a-1"; hash = "${sri(stale)}"; }\n`
    writeFileSync(join(outside, 'a.nix'), text)
    symlinkSync(outside, join(r.dir, 'out'))
    expect(() => patchStaleHashes(r.dir, [{ occurrence: { ...occurrence, file: 'out/a.nix' }, got: GOT }])).toThrow(
      /symlink that leads out of the repository/
    )
    expect(readFileSync(join(outside, 'a.nix'), 'utf8')).toBe(text)
  })

  it('refuses paths outside the repository and overlapping patches', async () => {
    const { r, occurrence } = await setup()
    expect(() => patchStaleHashes(r.dir, [{ occurrence: { ...occurrence, file: '../a.nix' }, got: GOT }])).toThrow(HashPatchError)
    expect(() =>
      patchStaleHashes(r.dir, [
        { occurrence, got: GOT },
        { occurrence, got: GOT }
      ])
    ).toThrow(/overlap/)
  })
})
