// A hash nix-ci wrote and then had to take back (another system disagreed: a platform conflict)
// leaves the file exactly as it was, byte for byte, whatever its encoding.
import { describe, expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { revertPatchedHash } from '../../../src/hashes/revert.js'
import { parseInputs } from '../../../src/inputs.js'
import { runPipeline } from '../../../src/pipeline.js'
import { useCleanup } from '../../support/cleanup.js'
import { REPO_ROOT, createFixture, testNix } from '../../support/fixtures.js'
import { recordingReporter } from '../../support/reporting.js'

const track = useCleanup()

describe('taking a written hash back', () => {
  it('after a platform conflict, a Latin-1 flake.nix is byte for byte what it was', async () => {
    const f = createFixture({
      systems: ['x86_64-linux', 'aarch64-linux'],
      fods: [
        { attr: 'mast-mix-deps', content: '', script: 'printf "precompiled NIF for %s %s" "$(uname -m)" "$salt" > $out', hash: 'stale' }
      ],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    track(f)
    const path = join(f.dir, 'flake.nix')
    // "café" in Latin-1: the byte 0xE9 alone is not UTF-8.
    const original = Buffer.concat([Buffer.from('# maintained at the caf'), Buffer.from([0xe9]), Buffer.from('\n'), readFileSync(path)])
    writeFileSync(path, original)
    f.commitAll('latin-1 comment')

    const inputs = parseInputs(
      name => ({ systems: 'x86_64-linux aarch64-linux', 'fix-hashes': 'write', 'vm-test': 'off', cache: 'false' })[name]
    )
    const result = await runPipeline(inputs, { nix: testNix(), reporter: recordingReporter(), cwd: f.dir, actionDir: REPO_ROOT })
    const hashes = result.hashes!
    expect(hashes.problems.map(p => p.kind)).toContain('platform-conflict')
    expect(hashes.fixes).toEqual([])
    expect(readFileSync(path).equals(original)).toBe(true)
    expect(f.git('status', '--porcelain')).toBe('')
  })

  it('puts the bytes it replaced back, and refuses when the file changed where the hash was written', () => {
    const f = createFixture({ systems: ['x86_64-linux'], packages: [{ attr: 'mast' }] })
    track(f)
    const path = join(f.dir, 'hash.nix')
    const before = Buffer.concat([Buffer.from('{ c = "'), Buffer.from([0xe9, 0xff]), Buffer.from('"; hash = "sha256-OLD"; }\r\n')])
    writeFileSync(path, Buffer.from(before.toString('latin1').replace('sha256-OLD', 'sha256-NEWER'), 'latin1'))
    revertPatchedHash(f.dir, { file: 'hash.nix', line: 1, column: 20, lineByteOffset: 20, before: 'sha256-OLD', after: 'sha256-NEWER' })
    expect(readFileSync(path).equals(before)).toBe(true)
    expect(() =>
      revertPatchedHash(f.dir, { file: 'hash.nix', line: 1, column: 20, lineByteOffset: 20, before: 'sha256-OLD', after: 'sha256-NEWER' })
    ).toThrow(/changed since/)
    expect(readFileSync(path).equals(before)).toBe(true)
  })
})
