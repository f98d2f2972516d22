import { describe, expect, it } from '@jest/globals'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { readDerivationClosure } from '../../src/nix/drv-file.js'
import type { Derivation } from '../../src/nix/json.js'
import { nixDerivationShow, showDerivationClosure } from '../../src/nix/store.js'
import { testNix } from '../support/fixtures.js'
import { useTempDirs } from '../support/cleanup.js'

const tempDir = useTempDirs()

// Every shape the graph reads, instantiated (not built) by this Nix: fixed outputs flat and
// recursive, sha256 in SRI, nix32 and hex, sha1 and sha512, several outputs, a source in the
// store, structured attrs, another system, and escapes in names' neighbours (env and args).
function closureExpression(salt: string): string {
  return `let
  salt = "${salt}";
  src = builtins.toFile "src-\${salt}.txt" "a \\"quoted\\" back\\\\slash";
  fod = name: mode: algo: hash: derivation { name = "\${name}-\${salt}"; system = "x86_64-linux"; builder = "/bin/sh";
    outputHashMode = mode; outputHashAlgo = algo; outputHash = hash; };
  flat = fod "flat" "flat" "sha256" "sha256-QJTefRoJV6RA5Kibx6dek8xWxWzCrrWxDG7OgGRmRrA=";
  nar = fod "nar" "recursive" "sha256" "0c5b8vw40dy178xlpddw65q9gf1h2186jcc3p4swinwggbllv8mk";
  hex = fod "hex" "flat" "sha1" "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  big = fod "big" "recursive" "sha512" "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
  multi = derivation { name = "multi-\${salt}"; system = "aarch64-linux"; builder = "/bin/sh"; outputs = [ "out" "dev" "doc" ];
    args = [ "-c" "echo \\"\${src}\\" \\\\ tab\\tnew\\nline" ]; deps = [ flat nar ]; weird = "a\\"b\\\\c\\nd\\re\\tf"; };
  structured = derivation { name = "structured-\${salt}"; system = "x86_64-linux"; builder = "/bin/sh"; __structuredAttrs = true;
    list = [ 1 "two" { three = 3; } ]; dep = hex; };
  # Only its .drv, as a source (what nix-shell and some NixOS tests do): in the store closure, not built.
  shell = derivation { name = "shell-\${salt}"; system = "x86_64-linux"; builder = "/bin/sh"; dep = nar; };
  # Bigger than the reader's first buffer (64 KiB).
  huge = derivation { name = "huge-\${salt}"; system = "x86_64-linux"; builder = "/bin/sh";
    payload = builtins.concatStringsSep "\\\\\\"" (builtins.genList (i: toString i) 40000); };
  top = derivation { name = "top-\${salt}"; system = "x86_64-linux"; builder = "/bin/sh"; deps = [ multi.dev multi.out structured big huge ];
    shellDrv = builtins.unsafeDiscardOutputDependency shell.drvPath; };
in top.drvPath`
}

async function instantiate(): Promise<string> {
  const salt = randomBytes(6).toString('hex')
  const result = await testNix().run({ args: ['eval', '--raw', '--expr', closureExpression(salt)], captureStdoutBytes: 1 << 16 })
  expect(result.exitCode).toBe(0)
  return result.stdout.trim()
}

const sorted = (m: Map<string, Derivation> | undefined) =>
  m === undefined ? undefined : new Map([...m].sort(([a], [b]) => a.localeCompare(b)))

/** A copy of the closure's .drv files under a root of its own, to tamper with. */
function copyClosure(paths: Iterable<string>): string {
  const root = tempDir('nix-ci-drv-root-')
  mkdirSync(join(root, 'nix/store'), { recursive: true })
  for (const path of paths) {
    copyFileSync(path, join(root, path))
    // Store files are read-only: writable here, for a user who is not root (the daemon runs).
    chmodSync(join(root, path), 0o644)
  }
  return root
}

describe('.drv files read from the store', () => {
  it('give the same derivation graph as `nix derivation show -r`, on this Nix', async () => {
    const top = await instantiate()
    const fromNix = await nixDerivationShow(testNix(), [top])
    const fromFiles = readDerivationClosure([top])
    expect(fromFiles?.size).toBe(9)
    expect(sorted(fromFiles)).toEqual(sorted(fromNix))
    const fixed = [...(fromFiles as Map<string, Derivation>).values()].filter(d => d.outputs.out?.fixed !== undefined)
    expect(fixed.map(d => `${d.outputs.out.fixed?.method} ${d.outputs.out.fixed?.algo}`).sort()).toEqual([
      'flat sha1',
      'flat sha256',
      'nar sha256',
      'nar sha512'
    ])
    // The store query uses them; Nix's answer is the same either way.
    expect(sorted(await showDerivationClosure(testNix(), [top]))).toEqual(sorted(fromNix))
  })

  it('are used only when each one matches its store path: a changed, swapped or missing file gives none', async () => {
    const top = await instantiate()
    const paths = [...(readDerivationClosure([top]) as Map<string, Derivation>).keys()]
    const multi = paths.find(p => basename(p).includes('-multi-')) as string
    const flat = paths.find(p => basename(p).includes('-flat-')) as string
    expect(readDerivationClosure([top], { root: copyClosure(paths) })?.size).toBe(9)

    const changed = copyClosure(paths)
    const text = readFileSync(join(changed, multi), 'latin1')
    writeFileSync(join(changed, multi), text.replace('"aarch64-linux"', '"x86_64-linux"'), 'latin1')
    expect(readDerivationClosure([top], { root: changed })).toBeUndefined()

    const swapped = copyClosure(paths)
    copyFileSync(join(swapped, flat), join(swapped, multi))
    expect(readDerivationClosure([top], { root: swapped })).toBeUndefined()

    const missing = copyClosure(paths)
    rmSync(join(missing, flat))
    expect(readDerivationClosure([top], { root: missing })).toBeUndefined()
    // Not a store path of a derivation at all.
    expect(readDerivationClosure([join(missing, 'nix/store/x.drv')])).toBeUndefined()
  })
})
