// The cache key and what goes into it; the manifest's validation; the untrusted-user import plan.
import { describe, expect, it } from '@jest/globals'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { digestFlakeFiles, localFlakeDir } from '../../src/cache/flake-digest.js'
import { cacheKeys } from '../../src/cache/key.js'
import { CorruptEntryError, parseManifest } from '../../src/cache/manifest.js'
import { parseByteSize } from '../../src/cache/size.js'
import { cacheSummaryMarkdown } from '../../src/cache/summary.js'
import { parseSigningKey } from '../../src/cache/signing.js'
import { importPlan } from '../../src/cache/trust.js'
import type { CacheRestoreResult } from '../../src/cache/types.js'
import { useTempDirs } from '../support/cleanup.js'

const tempDir = useTempDirs()
function tree(files: Record<string, string>): string {
  const dir = tempDir('nix-ci-key-')
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

const FILES = [
  { path: 'flake.nix', sha256: 'a'.repeat(64) },
  { path: 'mix.lock', sha256: 'b'.repeat(64) }
]

describe('cache key', () => {
  it('names the systems (sorted) and the Nix version, and falls back to the same systems', () => {
    const keys = cacheKeys({ systems: ['x86_64-linux', 'aarch64-linux'], nixVersion: '2.8.0', files: FILES })
    expect(keys.key).toMatch(/^nix-ci-store-v1-aarch64-linux\+x86_64-linux-nix2\.8\.0-[0-9a-f]{32}$/)
    expect(keys.restoreKeys).toEqual([
      'nix-ci-store-v1-aarch64-linux+x86_64-linux-nix2.8.0-',
      'nix-ci-store-v1-aarch64-linux+x86_64-linux-'
    ])
    expect(keys.key).not.toContain(',')
    expect(cacheKeys({ systems: ['aarch64-linux', 'x86_64-linux'], nixVersion: '2.8.0', files: [...FILES].reverse() }).key).toBe(keys.key)
  })

  it('changes with any key file, its path, the Nix version or the systems', () => {
    const base = cacheKeys({ systems: ['x86_64-linux'], nixVersion: '2.8.0', files: FILES }).key
    const variants = [
      cacheKeys({ systems: ['x86_64-linux'], nixVersion: '2.8.0', files: [FILES[0], { path: 'mix.lock', sha256: 'c'.repeat(64) }] }),
      cacheKeys({ systems: ['x86_64-linux'], nixVersion: '2.8.0', files: [FILES[0], { path: 'sub/mix.lock', sha256: 'b'.repeat(64) }] }),
      cacheKeys({ systems: ['x86_64-linux'], nixVersion: '2.18.1', files: FILES }),
      cacheKeys({ systems: ['aarch64-linux'], nixVersion: '2.8.0', files: FILES })
    ]
    for (const v of variants) expect(v.key).not.toBe(base)
  })

  it('digests the Nix files and the lock files fixed-output derivations read, and nothing else', async () => {
    const dir = tree({
      'flake.nix': '{ }',
      'flake.lock': '{}',
      'nix/package.nix': '{ }',
      'mix.lock': '%{}',
      'assets/package-lock.json': '{}',
      'native/Cargo.lock': '',
      'go.sum': '',
      'README.md': 'not a key file',
      'lib/app.ex': 'defmodule App do end',
      'node_modules/dep/package-lock.json': '{}',
      'deps/plug/mix.lock': '',
      '.git/config': ''
    })
    symlinkSync('/nix/store', join(dir, 'result'))
    const files = await digestFlakeFiles(dir)
    expect(files.map(f => f.path)).toEqual([
      'assets/package-lock.json',
      'flake.lock',
      'flake.nix',
      'go.sum',
      'mix.lock',
      'native/Cargo.lock',
      'nix/package.nix'
    ])
    expect(files[0].sha256).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a')
  })

  it('finds the directory of local flake references and none for remote ones', () => {
    expect(localFlakeDir('.', '/w')).toBe('/w')
    expect(localFlakeDir('./sub#pkg', '/w')).toBe('/w/sub')
    expect(localFlakeDir('path:examples/app', '/w')).toBe('/w/examples/app')
    expect(localFlakeDir('git+file:///repo?ref=main', '/w')).toBe('/repo')
    expect(localFlakeDir('/abs/flake', '/w')).toBe('/abs/flake')
    expect(localFlakeDir('github:mast/app', '/w')).toBeUndefined()
  })
})

describe('cache manifest', () => {
  const good = {
    formatVersion: 1,
    key: 'k',
    createdAt: '2024-01-01T00:00:00Z',
    nixVersion: '2.8.0',
    systems: ['x86_64-linux'],
    roots: ['/nix/store/a0zslbzkq6kjbvjmnvwc1xrvmhhkidzr-pkg-1'],
    paths: [{ path: '/nix/store/a0zslbzkq6kjbvjmnvwc1xrvmhhkidzr-pkg-1', narSize: 288 }]
  }

  it('reads back what save writes', () => {
    expect(parseManifest(good)).toEqual(good)
  })

  it('rejects what is not a manifest of this format, and anything that is not a store path', () => {
    expect(() => parseManifest({ ...good, formatVersion: 2 })).toThrow(CorruptEntryError)
    expect(() => parseManifest({ ...good, roots: ['/etc/passwd'] })).toThrow(/'\/etc\/passwd', which is not a store path/)
    expect(() => parseManifest({ ...good, roots: ['--option'] })).toThrow(/not a store path/)
    expect(() => parseManifest({ ...good, roots: ['/nix/store/00000000000000000000000000000000-x'] })).toThrow(/outside its paths/)
    expect(() => parseManifest({ ...good, paths: 'all' })).toThrow(/lacks/)
    expect(() => parseManifest(null)).toThrow(/not an object/)
  })
})

describe('import plan', () => {
  const missing = [{ path: '/nix/store/a-pkg' }, { path: '/nix/store/b-deps', ca: 'fixed:sha256:abc' }]
  const both = ['/nix/store/a-pkg', '/nix/store/b-deps']
  it('without a signing key, imports only content-addressed paths, with signatures required (never unchecked), whatever key matched', () => {
    // The plan no longer asks which key matched: an exact key is no more trustworthy than a restore key (issue 26, item 3).
    expect(importPlan(missing, { trust: 'trusted' })).toEqual({
      importable: ['/nix/store/b-deps'],
      skipped: ['/nix/store/a-pkg'],
      check: { kind: 'content-addressed' },
      reason: 'no-signing-key'
    })
  })
  it('with a signing key, imports everything but requires its signature, whichever key matched', () => {
    expect(importPlan(missing, { trust: 'trusted', publicKey: 'k:pub' })).toEqual({
      importable: both,
      skipped: [],
      check: { kind: 'signature', publicKey: 'k:pub' }
    })
  })
  it("imports only content-addressed paths for an untrusted user, by the store's own rules", () => {
    expect(importPlan(missing, { trust: 'untrusted', publicKey: 'k:pub' })).toEqual({
      importable: ['/nix/store/b-deps'],
      skipped: ['/nix/store/a-pkg'],
      check: { kind: 'store' },
      reason: 'untrusted-user'
    })
  })
})

describe('signing key', () => {
  // A throwaway test key from `nix key generate-secret --key-name nix-ci-test`; Nix 2.8's
  // `nix key convert-secret-to-public` printed PUBLIC for it.
  const SECRET = 'nix-ci-test:Gyetsb5EwEf/Dn9sY0Kbsw+8guJkIChxpv/T5y9GBnO5baMcM1m1u71sJBxiWwEQ7aOwPKa3qKVt7HKhhTkQeQ=='
  const PUBLIC = 'nix-ci-test:uW2jHDNZtbu9bCQcYlsBEO2jsDymt6ilbexyoYU5EHk='
  it('derives the public key Nix derives', () => {
    expect(parseSigningKey(`  ${SECRET}\n`)).toEqual({ name: 'nix-ci-test', secret: SECRET, publicKey: PUBLIC })
  })
  it('refuses a public key, a truncated secret or a bare base64 string, without echoing it', () => {
    for (const bad of [PUBLIC, SECRET.slice(0, -8), SECRET.split(':')[1], 'name:not base64!']) {
      expect(() => parseSigningKey(bad)).toThrow(/^not a Nix secret signing key: make one with `nix key generate-secret/)
      try {
        parseSigningKey(bad)
      } catch (error) {
        expect((error as Error).message).not.toContain(bad)
      }
    }
  })
})

describe('cache summary', () => {
  it('says hit or miss, what moved, and the time spent', () => {
    const restored: CacheRestoreResult = {
      status: 'partial-hit',
      key: 'new',
      restoreKeys: [],
      matchedKey: 'old',
      entryPaths: ['/nix/store/a', '/nix/store/b'],
      restoredPaths: ['/nix/store/a', '/nix/store/b'],
      restoredFixedOutputs: ['/nix/store/b'],
      skippedPaths: [],
      downloadedBytes: 3 << 20,
      importedBytes: 3 << 20,
      durationMs: 1500,
      warnings: []
    }
    const markdown = cacheSummaryMarkdown(restored, {
      status: 'saved',
      key: 'new',
      roots: [],
      savedPaths: ['/nix/store/a', '/nix/store/c'],
      closureBytes: 4 << 20,
      savedBytes: 4 << 20,
      durationMs: 2500,
      warnings: []
    })
    expect(markdown).toContain(
      '| restore | partial hit (restore key) | `old` | 2 store path(s), 3.0 MiB (entry 3.0 MiB unpacked); 1 fixed-output | 1.5 s |'
    )
    expect(markdown).toContain('| save | saved | `new` | 2 store path(s), 4.0 MiB before compression | 2.5 s |')
    const unsigned = cacheSummaryMarkdown({ ...restored, skippedPaths: ['/nix/store/c'], skipReason: 'no-signing-key' }, undefined)
    expect(unsigned).toContain('; 1 not imported (input-addressed, and no cache-signing-key to check them) |')
  })
})

describe('cache-max-size', () => {
  it('reads bytes and binary units', () => {
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3)
    expect(parseByteSize('500 MiB')).toBe(500 * 1024 ** 2)
    expect(parseByteSize('1.5G')).toBe(1.5 * 1024 ** 3)
    expect(parseByteSize('1048576')).toBe(1048576)
  })
  it('says what a size looks like when it is not one', () => {
    for (const bad of ['', 'big', '2 PB', '-1GiB', '0'])
      expect(() => parseByteSize(bad)).toThrow(/is not a size: give bytes or a number with KiB, MiB, GiB or TiB/)
  })
})
