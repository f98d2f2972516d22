// Finds where a stale fixed-output hash is written in the repository. Nix reports `specified` as
// SRI whatever the file holds, so every spelling Nix accepts is searched. Placeholders (`lib.fakeHash`,
// `""`, all-zero hashes) cannot be found by value: they are attributed to the derivation through
// the name/pname/url of the attrset around them. When the answer is not unique, or the hash is
// nowhere, the result says so and lists every candidate: a wrong edit is worse than none.
import { Buffer } from 'node:buffer'
import { HashAlgo, HashEncoding, ParsedHash, allSpellings, fakeExpressionAlgo, isZeroDigest, parseHash, tryParseHash } from './codec.js'
import {
  NixSourceMap,
  calleeBefore,
  derivationName,
  directStringBindings,
  enclosingAttrsets,
  parseDrvName,
  scanNixSource,
  templateMatcher
} from './nix-source.js'
import type { RepoTextFile, RepoTextFiles } from './repo-files.js'
import { pathAt } from '../report/quoted-path.js'

export type OccurrenceEncoding = HashEncoding | 'fake-expression' | 'empty-string'

export interface HashOccurrence {
  /** Relative to the repository root. */
  file: string
  /** 1-based. */
  line: number
  /** 1-based, in characters. */
  column: number
  /** Byte offset of `text` in the file. */
  offset: number
  /** Exactly the bytes found (`lib.fakeHash`, `sha256:0abc…`, or '' between the quotes of `""`). */
  text: string
  encoding: OccurrenceEncoding
  /** `sha256:` in front of a non-SRI hash. */
  prefixed: boolean
  fake: boolean
  /** The attribute it is bound to (`hash`, `vendorHash`…), when written as `attr = …;`. */
  attribute?: string
}

/** What locate needs of a mismatch (a HashMismatch from the parser fits). */
export interface StaleHash {
  derivation: string
  specified: string
  algo?: HashAlgo
}

export type LocateResult =
  | { kind: 'found'; occurrence: HashOccurrence; candidates: HashOccurrence[]; message: string }
  | { kind: 'ambiguous'; candidates: HashOccurrence[]; message: string }
  | { kind: 'not-found'; candidates: HashOccurrence[]; message: string }

/** Attributes that hold a fixed-output hash (nixpkgs fetchers and builders, and raw derivations). */
export const HASH_ATTRIBUTE = /^(?:hash|sha1|sha256|sha512|outputHash|[A-Za-z][\w'-]*(?:Hash|Sha1|Sha256|Sha512))$/

/** Where the stale hash stands in `files` (readTrackedTextFiles, or readTextFiles for bytes that changed since). */
export function locateStaleHash(files: RepoTextFiles, stale: StaleHash): LocateResult {
  const specified = parseHash(stale.specified, stale.algo)
  const name = derivationName(stale.derivation)
  const fake = isZeroDigest(specified.digest)
  const candidates = fake ? findPlaceholders(files.files, specified.algo) : findHashOccurrences(files.files, specified)
  const where = (list: HashOccurrence[]) => list.map(o => `  ${at(o)}  ${show(o)}`).join('\n')
  const subject = fake
    ? `the placeholder hash of '${name}' (Nix reports it as ${stale.specified})`
    : `the stale hash ${stale.specified} of '${name}'`

  if (candidates.length === 0) {
    return {
      kind: 'not-found',
      candidates,
      message:
        `Could not find ${subject} in any git-tracked text file` +
        (fake
          ? ' (looked for lib.fakeHash, lib.fakeSha256/512, "" and all-zero hashes bound to a hash attribute)'
          : ' in any encoding (SRI, nix32, base16, base64, with or without the sha256: prefix)') +
        (files.skipped > 0 ? `; ${files.skipped} tracked files were skipped as binary, symlinks or larger than 1 MiB` : '') +
        '. It may come from a flake input or another repository, or from an untracked file: update it there, using the hash Nix printed as "got".'
    }
  }
  if (!fake && candidates.length === 1) {
    return { kind: 'found', occurrence: candidates[0], candidates, message: `Found ${subject} at ${at(candidates[0])}.` }
  }

  const scored = candidates.map(o => ({ o, score: scoreForDerivation(files.files, o, name) }))
  const best = Math.max(...scored.map(s => s.score))
  const top = scored.filter(s => s.score === best).map(s => s.o)
  if (best > 0 && top.length === 1) {
    return {
      kind: 'found',
      occurrence: top[0],
      candidates,
      message: `Found ${subject} at ${at(top[0])}, the only candidate whose attrset names '${name}'.`
    }
  }
  return {
    kind: 'ambiguous',
    candidates,
    message:
      `Found ${candidates.length === 1 ? 'one candidate' : `${candidates.length} candidates`} for ${subject}, ` +
      `but ${best > 0 ? 'several are tied to' : 'none is clearly tied to'} that derivation:\n${where(candidates)}\n` +
      `nix-ci does not guess. Replace the right one by hand with the hash Nix printed as "got", or give each ` +
      `derivation its own name/pname next to its hash so it can be told apart.`
  }
}

/** Every place the hash is written, in any spelling, outside comments. */
export function findHashOccurrences(files: RepoTextFile[], hash: ParsedHash): HashOccurrence[] {
  const spellings = allSpellings(hash)
  const out: HashOccurrence[] = []
  for (const file of files) {
    const nix = file.path.endsWith('.nix') ? scanNixSource(file.text) : undefined
    const text = nix?.masked ?? file.text
    const lower = text.toLowerCase()
    const found: HashOccurrence[] = []
    for (const { text: spelling, form } of spellings) {
      // Hex is case-insensitive for Nix; everything else is matched exactly.
      const haystack = form.encoding === 'base16' ? lower : text
      for (let at = haystack.indexOf(spelling); at !== -1; at = haystack.indexOf(spelling, at + 1)) {
        if (!isDelimited(text, at, spelling.length)) continue
        const exact = file.text.slice(at, at + spelling.length)
        found.push(occurrence(file, nix, at, exact, form.encoding, form.prefixed, false))
      }
    }
    // `sha256:<nix32>` also contains the bare `<nix32>`: keep the longest match at each place.
    for (const o of found) {
      const inside = found.some(
        p => p !== o && p.offset <= o.offset && o.offset + o.text.length <= p.offset + p.text.length && p.text.length > o.text.length
      )
      if (!inside) out.push(o)
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.offset - b.offset)
}

// Each pattern starts only where an identifier begins (the lookbehind): from every character of a
// long identifier-like run, a backtracking engine would otherwise scan the rest again (quadratic).
const PLACEHOLDER_BINDING =
  /(?<![\w'-])([A-Za-z_][\w'-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|((?:[A-Za-z_][\w'-]*\.)*fake(?:Hash|Sha1|Sha256|Sha512)))\s*;/g

/** `hash = lib.fakeHash;`, `sha256 = "";`, `outputHash = "0000…";` and the like, in .nix files. */
export function findPlaceholders(files: RepoTextFile[], algo: HashAlgo): HashOccurrence[] {
  const out: HashOccurrence[] = []
  for (const file of files) {
    if (!file.path.endsWith('.nix')) continue
    const nix = scanNixSource(file.text)
    PLACEHOLDER_BINDING.lastIndex = 0
    for (let m = PLACEHOLDER_BINDING.exec(nix.masked); m; m = PLACEHOLDER_BINDING.exec(nix.masked)) {
      const attribute = m[1]
      if (!HASH_ATTRIBUTE.test(attribute) || !isBindingStart(nix.masked, m.index)) continue
      if (m[3] !== undefined) {
        if (fakeExpressionAlgo(m[3]) !== algo) continue
        const at = m.index + m[0].lastIndexOf(m[3])
        out.push({ ...occurrence(file, nix, at, m[3], 'fake-expression', false, true), attribute })
        continue
      }
      const value = m[2]
      const at = m.index + m[0].indexOf('"') + 1
      if (value === '') {
        out.push({ ...occurrence(file, nix, at, '', 'empty-string', false, true), attribute })
        continue
      }
      const parsed = tryParseHash(value, algo)
      if (parsed && isZeroDigest(parsed.digest)) {
        out.push({ ...occurrence(file, nix, at, value, parsed.encoding, parsed.prefixed, true), attribute })
      }
    }
  }
  return out
}

function occurrence(
  file: RepoTextFile,
  nix: NixSourceMap | undefined,
  offset: number,
  text: string,
  encoding: OccurrenceEncoding,
  prefixed: boolean,
  fake: boolean
): HashOccurrence {
  const lineStart = file.text.lastIndexOf('\n', offset - 1) + 1
  let line = 1
  for (let i = file.text.indexOf('\n'); i !== -1 && i < offset; i = file.text.indexOf('\n', i + 1)) line++
  const column = Buffer.from(file.text.slice(lineStart, offset), 'latin1').toString('utf8').length + 1
  const attribute = nix ? attributeBefore(nix.masked, offset) : undefined
  return { file: file.path, line, column, offset, text, encoding, prefixed, fake, ...(attribute ? { attribute } : {}) }
}

/** The `attr` of `attr = "<here>` or `attr = <here>`, if that is how the value is written. */
function attributeBefore(masked: string, offset: number): string | undefined {
  const before = masked.slice(Math.max(0, offset - 200), offset)
  return /(?<![\w'-])([A-Za-z_][\w'-]*)\s*=\s*(?:"|'')?$/.exec(before)?.[1]
}

function isBindingStart(text: string, index: number): boolean {
  return index === 0 || /[\s;{(]/.test(text[index - 1])
}

// `=` may end a base64 token but not start one: `HASH=<hex>` and `?narHash=<sri>` are delimited.
const CHAR_BEFORE_TOKEN = /[A-Za-z0-9+/_-]/
const CHAR_IN_TOKEN = /[A-Za-z0-9+/=_-]/

function isDelimited(text: string, at: number, length: number): boolean {
  return !(at > 0 && CHAR_BEFORE_TOKEN.test(text[at - 1])) && !CHAR_IN_TOKEN.test(text[at + length] ?? ' ')
}

/**
 * How strongly the attrsets around an occurrence point at derivation `drvName` (0: not at all).
 * 40 a `name` that matches it; 30 a `pname` (and version) or a fetched `url` file name that does;
 * 20 `fetch*` of a `source` or a name that starts with `<pname>-`; the innermost attrset wins ties.
 */
export function scoreForDerivation(files: RepoTextFile[], o: HashOccurrence, drvName: string): number {
  if (!o.file.endsWith('.nix')) return 0
  const file = files.find(f => f.path === o.file)
  if (!file) return 0
  const nix = scanNixSource(file.text)
  const sets = enclosingAttrsets(nix, o.offset).slice(0, 3)
  const drv = parseDrvName(drvName)
  const literals = new Map<string, string>()
  for (const set of [...sets].reverse()) {
    for (const b of directStringBindings(nix, set)) if (!b.value.includes('${')) literals.set(b.name, b.value)
  }
  const resolve = (expression: string) => literals.get(expression.replace(/^(?:finalAttrs\.|self\.|attrs\.)/, ''))
  let best = 0
  sets.forEach((set, depth) => {
    const bindings = directStringBindings(nix, set)
    const get = (key: string) => bindings.find(b => b.name === key)?.value
    let score = 0
    const name = get('name')
    const pname = get('pname')
    const url = get('url')
    // A literal name proves itself; a template must also pin down a few characters of its own.
    const strong = (template: string, target: string): boolean => {
      const t = templateMatcher(template, resolve)
      return (t.literalChars >= 3 || !template.includes('${')) && t.regex.test(target)
    }
    if (name !== undefined && strong(name, drvName)) score = 40
    else if (pname !== undefined && strong(pname, drv.pname) && versionAgrees(get('version'), drv.version, resolve)) score = 30
    else if (url !== undefined && strong(url.replace(/[?#].*$/, '').replace(/^.*\//, ''), drvName)) score = 30
    else if (drvName === 'source' && /^(?:[\w'-]+\.)*fetch/.test(calleeBefore(nix, set) ?? '') && name === undefined) score = 20
    else if (pname !== undefined && !pname.includes('${') && pname.length >= 3 && drvName.startsWith(`${pname}-`)) score = 20
    if (score > 0) best = Math.max(best, score - depth)
  })
  return best
}

function versionAgrees(version: string | undefined, drvVersion: string, resolve: (e: string) => string | undefined): boolean {
  if (version === undefined || drvVersion === '') return true
  return templateMatcher(version, resolve).regex.test(drvVersion)
}

function at(o: HashOccurrence): string {
  return pathAt(o.file, o.line, o.column)
}

function show(o: HashOccurrence): string {
  const value = o.encoding === 'empty-string' ? '""' : o.text
  return o.attribute ? `${o.attribute} = ${value}` : value
}
