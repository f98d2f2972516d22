// Fixed-output mismatch reports as people paste them. The MismatchParser (hashes/) reads Nix's exact
// layout and decides what may be acted on; explain only reports, so it also reads what a paste
// leaves of a report (issue 15): the pair alone, a header without its path, a path elided by hand
// (`'…-npm-deps.drv'`) or cut at nix-output-monitor's frame edge (`'/nix/store/2nw7…`) or split by
// a terminal's line wrap, a remote build's wrapper ("build of '…' on 'ssh://…' failed: [error: ]…"),
// Lix's extra lines, re-aligned columns, and Nix 1.x's one-line report glued to a curl progress line.
// It reads Nix's lines only (the classifier never hands it builder output), and what it keeps must
// still be a report: both hashes parse, in one algorithm. Paths are kept exactly as given.
import { HashAlgo, tryParseHash } from '../../hashes/codec.js'
import { FodMismatch, MAX_FINDINGS, PasteDamage } from '../types.js'

const HEADER_TEXT = 'hash mismatch in fixed-output derivation'
const BODY = /^\s*(likely URL|specified|wanted|got|expected path|got path):\s*(\S+)\s*$/
const REMOTE = /build of [`'‘]([^'’`]*)['’`](?: on [`'‘]([^'’`]+)['’`])? failed:\s*(?:error:\s*)*$/
const UNCLOSED_REMOTE = /build of [`'‘][^'’`]*$/
const LEADING_ERROR = /^\s*(?:error:\s*)*$/
/** "output path ‘P’ should have r:sha256 hash ‘W’, instead has ‘G’" (Nix 1.x, wanted first). */
const NIX_1X_SHOULD =
  /output path [`'‘]([^'’`]+)['’`] should have (?:r:)?(sha1|sha256|sha512) hash [`'‘]([^'’`]+)['’`], instead has [`'‘]([^'’`]+)['’`]/
/** "output path ‘P’ has r:sha256 hash ‘G’ when ‘W’ was expected" (older Nix 1.x, got first). */
const NIX_1X_WHEN =
  /output path [`'‘]([^'’`]+)['’`] has (?:r:)?(sha1|sha256|sha512) hash [`'‘]([^'’`]+)['’`] when [`'‘]([^'’`]+)['’`] was expected/
/** Nix 2.0/2.1, got first. */
const NIX_20 =
  /fixed-output derivation produced path '([^']+)' with (sha1|sha256|sha512) hash '([^']+)' instead of the expected hash '([^']+)'/
const STRICT_STORE_PATH = /^\/(?:[^\s'/]+\/)+[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]+$/
const ELLIPSIS = /…|\.\.\./
type Field = 'likelyUrl' | 'specified' | 'got' | 'expectedPath' | 'gotPath'
const FIELD: Record<string, Field> = {
  'likely URL': 'likelyUrl',
  specified: 'specified',
  wanted: 'specified',
  got: 'got',
  'expected path': 'expectedPath',
  'got path': 'gotPath'
}
/** The line before was text the classifier judged without normalising it. */
const UNSEEN = '\u0000unseen'
/** A report's body is a handful of lines; anything longer is not one. */
const MAX_BODY_LINES = 8

interface Block {
  derivation: string | null
  damage: Set<PasteDamage>
  remoteBuilder?: string
  fields: Partial<Record<Field, string>>
  lines: number
}

interface WrappedHeader {
  path: string
  remoteBuilder?: string
  glued: boolean
}

export class PastedReportReader {
  private readonly found: FodMismatch[] = []
  private block?: Block
  private wrapped?: WrappedHeader
  private held?: string
  /** The line before, when the reader saw it: a pair right under another report's header is that report's. */
  private previous = ''
  truncated = false

  /** The classifier must hand over every line while a report is open (its next line may end it). */
  get open(): boolean {
    return this.block !== undefined || this.wrapped !== undefined || this.held !== undefined
  }

  /**
   * A line went by that the classifier did not hand over (it holds nothing a report needs): its
   * text when the classifier normalised it, or undefined when it judged it raw (a line of text).
   */
  skipped(line?: string): void {
    this.previous = line ?? UNSEEN
  }

  push(text: string): void {
    // "error: build of '/nix/store/…" cut by a terminal's wrap before the report's own words.
    if (this.held !== undefined) {
      const held = this.held
      this.held = undefined
      if (/^\s*[^\s'’`]*['’`]/.test(text)) return this.read(held + text.trimStart(), ['wrapped-path'])
      this.read(held, [])
    }
    if (UNCLOSED_REMOTE.test(text) && !text.includes(HEADER_TEXT)) {
      this.held = text
      return
    }
    this.read(text, [])
  }

  private read(text: string, damage: PasteDamage[]): void {
    const before = this.previous
    this.previous = text
    if (this.wrapped) {
      const wrapped = this.wrapped
      this.wrapped = undefined
      // A terminal's hard wrap: the path goes on at the start of the next line, then "':".
      const rest = /^\s*([^\s'’`]*)['’`]:?\s*$/.exec(text)
      if (rest) return this.openHeader(wrapped.path + rest[1], wrapped.remoteBuilder, wrapped.glued, ['wrapped-path'])
      this.openHeader(wrapped.path, wrapped.remoteBuilder, wrapped.glued, ['truncated-path'])
    }
    if (this.block) {
      if (this.continueBlock(this.block, text)) return
      this.closeBlock()
    }
    if (text.includes(HEADER_TEXT)) return this.readHeader(text, damage)
    if (text.includes('output path') || text.includes('produced path')) return this.readOneLine(text)
    const body = BODY.exec(text)
    // The pair alone (or Lix's lines without their header): not when the line above was a header
    // of another hash error ("importing path", "file downloaded from"), whose pair it is, nor
    // under a line of text the classifier did not show us (it may have been such a header).
    if (body && /^(?:likely URL|specified|wanted)$/.test(body[1]) && before !== UNSEEN && !before.includes('mismatch')) {
      this.block = { derivation: null, damage: new Set(['no-header']), fields: {}, lines: 0 }
      this.continueBlock(this.block, text)
    }
  }

  finish(): FodMismatch[] {
    if (this.held !== undefined) this.read(this.held, [])
    this.held = undefined
    if (this.wrapped) this.openHeader(this.wrapped.path, this.wrapped.remoteBuilder, this.wrapped.glued, ['truncated-path'])
    this.wrapped = undefined
    this.closeBlock()
    return this.found
  }

  private readHeader(text: string, damage: PasteDamage[]): void {
    const at = text.indexOf(HEADER_TEXT)
    let prefix = text.slice(0, at)
    const rest = text.slice(at + HEADER_TEXT.length)
    let remoteBuilder: string | undefined
    let built: string | undefined
    const remote = REMOTE.exec(prefix)
    if (remote) {
      built = remote[1]
      remoteBuilder = remote[2]
      prefix = prefix.slice(0, remote.index)
    }
    const glued = !LEADING_ERROR.test(prefix)
    if (/^:?\s*$/.test(rest)) {
      // No path after the words: "build of 'D' failed:" before them may still name it.
      if (built !== undefined && looksLikeStorePath(built)) return this.openHeader(built, remoteBuilder, glued, damage)
      return this.startBlock(null, [...damage, 'no-path'], remoteBuilder, glued)
    }
    const quoted = /^\s+[`'‘]([^'’`]*)(['’`]:?)?\s*$/.exec(rest)
    if (!quoted) return
    if (quoted[2] === undefined && !quoted[1].endsWith('…')) {
      this.wrapped = { path: quoted[1], remoteBuilder, glued }
      return
    }
    this.openHeader(quoted[1], remoteBuilder, glued, quoted[2] === undefined ? [...damage, 'truncated-path'] : damage)
  }

  private openHeader(path: string, remoteBuilder: string | undefined, glued: boolean, damage: PasteDamage[]): void {
    if (!looksLikeStorePath(path)) return
    if (!STRICT_STORE_PATH.test(path) && !damage.includes('truncated-path')) damage = [...damage, 'elided-path']
    this.startBlock(path, damage, remoteBuilder, glued)
  }

  private startBlock(derivation: string | null, damage: PasteDamage[], remoteBuilder: string | undefined, glued: boolean): void {
    const all = new Set(damage)
    if (glued) all.add('glued')
    this.block = { derivation, damage: all, ...(remoteBuilder !== undefined ? { remoteBuilder } : {}), fields: {}, lines: 0 }
  }

  /** True when the line belongs to the open report. */
  private continueBlock(block: Block, text: string): boolean {
    if (++block.lines > MAX_BODY_LINES) return false
    if (text.trim() === '') return block.fields.specified === undefined || block.fields.got === undefined ? block.lines <= 2 : false
    const m = BODY.exec(text)
    if (!m) return false
    const key = FIELD[m[1]]
    // Nix's order: likely URL, then the pair, then the paths; a repeated or misplaced line ends it.
    if (block.fields[key] !== undefined) return false
    if (key === 'got' && block.fields.specified === undefined) return false
    if ((key === 'expectedPath' || key === 'gotPath') && block.fields.got === undefined) return false
    if (key === 'likelyUrl' && block.fields.specified !== undefined) return false
    block.fields[key] = m[2]
    return true
  }

  private closeBlock(): void {
    const block = this.block
    this.block = undefined
    if (!block) return
    const { specified, got } = block.fields
    if (specified === undefined || got === undefined || !sameAlgo(specified, got)) return
    // "got path:" is a store path and so is "expected path:"; a hash field never holds one.
    if (specified.startsWith('/') || got.startsWith('/')) return
    this.add({
      derivation: block.derivation,
      specified,
      got,
      source: 'nix',
      ...(block.remoteBuilder !== undefined ? { remoteBuilder: block.remoteBuilder } : {}),
      ...(block.fields.likelyUrl !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(block.fields.likelyUrl)
        ? { likelyUrl: block.fields.likelyUrl }
        : {}),
      ...(block.fields.expectedPath !== undefined ? { expectedPath: block.fields.expectedPath } : {}),
      ...(block.fields.gotPath !== undefined ? { gotPath: block.fields.gotPath } : {}),
      ...(block.damage.size > 0 ? { pasteDamage: [...block.damage] } : {})
    })
  }

  /** The one-line reports of Nix 1.x and 2.0, wherever they sit in the line. */
  private readOneLine(text: string): void {
    let m: RegExpExecArray | null
    let found: { path: string; algo: HashAlgo; specified: string; got: string; at: number } | undefined
    if ((m = NIX_1X_SHOULD.exec(text))) found = { path: m[1], algo: m[2] as HashAlgo, specified: m[3], got: m[4], at: m.index }
    else if ((m = NIX_1X_WHEN.exec(text))) found = { path: m[1], algo: m[2] as HashAlgo, specified: m[4], got: m[3], at: m.index }
    else if ((m = NIX_20.exec(text))) found = { path: m[1], algo: m[2] as HashAlgo, specified: m[4], got: m[3], at: m.index }
    if (!found || !looksLikeStorePath(found.path)) return
    if (!tryParseHash(found.specified, found.algo) || !tryParseHash(found.got, found.algo)) return
    const damage: PasteDamage[] = []
    if (!LEADING_ERROR.test(text.slice(0, found.at))) damage.push('glued')
    if (!STRICT_STORE_PATH.test(found.path)) damage.push('elided-path')
    this.add({
      derivation: found.path,
      specified: found.specified,
      got: found.got,
      source: 'nix',
      ...(damage.length > 0 ? { pasteDamage: damage } : {})
    })
  }

  /** One finding per report: nix-output-monitor repeats Nix's error in its frame, cut at the edge. */
  private add(m: FodMismatch): void {
    const same = this.found.find(f => f.specified === m.specified && f.got === m.got && sameDerivation(f.derivation, m.derivation))
    if (same) return mergeInto(same, m)
    if (this.found.length >= MAX_FINDINGS) this.truncated = true
    else this.found.push(m)
  }
}

/** Both hashes parse, in one algorithm: Nix never prints anything else. */
function sameAlgo(specified: string, got: string): boolean {
  const a = tryParseHash(specified)
  const b = tryParseHash(got)
  return a !== undefined && b !== undefined && a.algo === b.algo
}

/** A store path, possibly elided (`…`, `...`) or shortened by hand, never prose. */
function looksLikeStorePath(path: string): boolean {
  if (path === '' || /\s/.test(path)) return false
  if (path.startsWith('…') || path.startsWith('...')) return path.length > 3
  return /^\/(?:[^/]+\/)+[^/]+$/.test(path) && path.includes('-')
}

/** The same path, one of them perhaps elided or truncated, or not named at all. */
export function sameDerivation(a: string | null, b: string | null): boolean {
  if (a === null || b === null || a === b) return true
  return fitsElided(a, b) || fitsElided(b, a)
}

function fitsElided(elided: string, full: string): boolean {
  if (!ELLIPSIS.test(elided)) return false
  const parts = elided.split(ELLIPSIS)
  const head = parts[0]
  const tail = parts[parts.length - 1]
  return full.length >= head.length + tail.length && full.startsWith(head) && full.endsWith(tail)
}

function isDamaged(m: FodMismatch): boolean {
  return m.derivation === null || (m.pasteDamage ?? []).some(d => d !== 'glued' && d !== 'no-header')
}

/** Keeps the fuller copy's path and every line of meaning either copy had. */
export function mergeInto(target: FodMismatch, other: FodMismatch): void {
  if (isDamaged(target) && !isDamaged(other)) {
    target.derivation = other.derivation
    if (other.pasteDamage === undefined) delete target.pasteDamage
    else target.pasteDamage = [...other.pasteDamage]
  }
  for (const key of ['remoteBuilder', 'likelyUrl', 'expectedPath', 'gotPath'] as const) {
    if (target[key] === undefined && other[key] !== undefined) target[key] = other[key]
  }
}
