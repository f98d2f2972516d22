// Which Nix this is, and so which command spellings and flags it takes. Parsing of what the
// commands print does not depend on this (src/nix/json.ts recognises every shape); only the
// choice of spelling does, where no one spelling works on every supported version.

export type NixImplementation = 'nix' | 'lix' | 'determinate'

export interface NixVersion {
  implementation: NixImplementation
  /** The version as `nix --version` prints it, e.g. "2.34.8", "2.93.3". */
  text: string
  /** The upstream Nix version whose CLI this one follows (Lix forked from 2.18). */
  upstream: [number, number]
}

/** Parses `nix --version`: "nix (Nix) 2.34.8", "nix (Lix, like Nix) 2.93.3", "nix (Determinate Nix 3.8.2) 2.30.1". */
export function parseNixVersion(line: string): NixVersion {
  const text = line.trim()
  const match = /(\d+)\.(\d+)(?:\.\d+)?[\w.+-]*\s*$/.exec(text)
  if (!match) throw new Error(`Cannot read the Nix version from '${text}': expected a line like 'nix (Nix) 2.24.10'.`)
  const version = match[0].trim()
  const major = Number(match[1])
  const minor = Number(match[2])
  if (/\bLix\b/i.test(text)) return { implementation: 'lix', text: version, upstream: [2, 18] }
  const implementation = /Determinate/i.test(text) ? 'determinate' : 'nix'
  return { implementation, text: version, upstream: [major, minor] }
}

function atLeast(v: NixVersion, major: number, minor: number): boolean {
  return v.upstream[0] > major || (v.upstream[0] === major && v.upstream[1] >= minor)
}

export function describeNix(v: NixVersion): string {
  return v.implementation === 'nix' ? `Nix ${v.text}` : v.implementation === 'lix' ? `Lix ${v.text}` : `Determinate Nix (Nix ${v.text})`
}

/**
 * `nix config show` from 2.20 (`show-config` is a deprecated alias that warns since then); Lix
 * has it too (its 2.92 release notes fix `nix config show --json`).
 */
export function configShowCommand(v: NixVersion): string[] {
  return atLeast(v, 2, 20) || v.implementation === 'lix' ? ['config', 'show'] : ['show-config']
}

/**
 * `nix derivation show` (2.15+) over `show-derivation`, which warns as a deprecated alias on
 * current Nix. 2.20 is the threshold we tested both sides of.
 */
export function derivationShowCommand(v: NixVersion): string[] {
  return atLeast(v, 2, 20) || v.implementation === 'lix' ? ['derivation', 'show'] : ['show-derivation']
}

/**
 * 2.33 made `--json` without `--json-format` deprecated ("will become an error"); format 1 is
 * the object form 2.19-2.32 print. Older Nix and Lix reject the flag.
 */
export function pathInfoJsonFlags(v: NixVersion): string[] {
  return v.implementation !== 'lix' && atLeast(v, 2, 33) ? ['--json', '--json-format', '1'] : ['--json']
}

/**
 * `nix store info` from 2.20 (2.34 warns "'ping' is a deprecated alias for 'info'"); 2.8 and Lix
 * know only `nix store ping`. Both print `Store URL:`, `Version:` (the remote's Nix, from
 * ssh-ng stores) and, on newer Nix, `Trusted:` as notices on stderr.
 */
export function storeInfoCommand(v: NixVersion): string[] {
  return atLeast(v, 2, 20) && v.implementation !== 'lix' ? ['store', 'info'] : ['store', 'ping']
}
