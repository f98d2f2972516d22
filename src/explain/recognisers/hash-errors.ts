// Hash findings, read by the MismatchParser (every Nix version's FOD report, trust labels) and
// given explain's shape (the kinds are the parser's, hashes/hash-reports.ts). Adds what the parser
// leaves to its callers: which imports came from a binary cache (substitution), malformed hashes
// (hash-syntax), and remote builds, whose report hides behind "build of '…' on '…' failed: ".
// Saved logs are also read by the PastedReportReader, for what a paste leaves of a report; its
// findings join the parser's (same pair, same or compatible path) or stand on their own.
import { MismatchParser, OtherHashError as ParsedOther, TrustMode } from '../../hashes/mismatch-parser.js'
import { parseInternalJsonLine, stripAnsi } from '../../nix/internal-json.js'
import { FodMismatch, LineRecogniser, MAX_FINDINGS, Origin, OtherHashError, pushBounded } from '../types.js'
import { BoundedMap } from '../bounded-map.js'
import { PastedReportReader, mergeInto, sameDerivation } from './fod-pastes.js'

const COPYING = /copying path '([^']+)' from '([^']+)'/
const REMOTE_FAILED = /^(\s*)(?:error:\s*)?build of '[^']+' on '[^']+' failed: /
const HASH_SYNTAX = [
  /hash '([^']*)' does not include a type/,
  /invalid SRI hash '([^']*)'/,
  /hash '([^']*)' has wrong length for hash (?:type|algorithm)/,
  /invalid base-(?:16|32|64) hash '([^']*)'/,
  /unknown hash (?:type|algorithm) '([^']*)'/
]
const MAX_COPIES = 1024

export class HashErrorRecogniser implements LineRecogniser {
  private readonly parser: MismatchParser
  /** Store path -> the cache it was being copied from (the latest MAX_COPIES). */
  private readonly copies = new BoundedMap<string, string>(MAX_COPIES)
  private readonly syntax: OtherHashError[] = []
  private dropped = false
  /** Live runs trust raw_msg events only, and nothing there was pasted. */
  private readonly pastes?: PastedReportReader

  constructor(private readonly trust: TrustMode) {
    this.parser = new MismatchParser({ trust, maxReports: MAX_FINDINGS })
    if (trust === 'plain-log') this.pastes = new PastedReportReader()
  }

  /** A pasted report is open: its next line, whatever it holds, decides whether it goes on. */
  get wantsEveryLine(): boolean {
    return this.pastes?.open ?? false
  }

  /** The classifier skipped a line (it carries nothing any recogniser reads); see PastedReportReader.skipped. */
  skipped(line?: string): void {
    this.pastes?.skipped(line)
  }

  /** Every line of the log, as normalised: the parser keeps its own state across them. */
  pushLogLine(line: string): void {
    this.parser.push(line.includes("' failed: ") ? unwrapRemote(line) : line)
  }

  push(text: string, origin: Origin): void {
    if (origin.from !== 'nix') return
    this.pastes?.push(text)
    const copy = COPYING.exec(text)
    if (copy) return this.noteCopy(copy[1], copy[2])
    if (!text.includes('hash')) return
    for (const re of HASH_SYNTAX) {
      const m = re.exec(text)
      if (m) return pushBounded(this.syntax, { kind: 'hash-syntax', expected: m[1] }, () => (this.dropped = true))
    }
  }

  noteCopy(path: string, from: string): void {
    this.copies.set(path, from)
  }

  finish(): { fodMismatches: FodMismatch[]; otherHashErrors: OtherHashError[]; truncated: boolean } {
    const parsed = this.parser.finish()
    const fods = new Map<string, FodMismatch>()
    for (const m of parsed.mismatches) {
      // A saved plain log cannot prove who wrote an unprefixed report ('unverified'), but explain
      // only reports: it shows it as Nix's, as a reader would read it. A live run trusts only
      // raw_msg ('nix'); an unverified msg there may be a builder's `@nix` line, so it is dropped.
      const source = m.source === 'unverified' ? (this.trust === 'plain-log' ? 'nix' : undefined) : m.source
      if (source === undefined) continue
      const key = `${m.derivation} ${m.specified} ${m.got}`
      const seen = fods.get(key)
      if (!seen || (seen.source === 'builder-output' && source === 'nix')) {
        fods.set(key, {
          derivation: m.derivation,
          specified: m.specified,
          got: m.got,
          source,
          ...(meaningfulUrl(m.likelyUrl) ? { likelyUrl: m.likelyUrl } : {})
        })
      }
    }
    const fodMismatches = [...fods.values()]
    for (const pasted of this.pastes?.finish() ?? []) {
      // Only Nix's own report is enriched: a builder's lookalike never borrows a paste's word.
      const same = fodMismatches.find(
        f =>
          f.source === 'nix' && f.specified === pasted.specified && f.got === pasted.got && sameDerivation(f.derivation, pasted.derivation)
      )
      if (same) mergeInto(same, pasted)
      else pushBounded(fodMismatches, pasted, () => (this.dropped = true))
    }
    if (this.pastes?.truncated) this.dropped = true
    const others = new Map<string, OtherHashError>()
    for (const e of parsed.otherHashErrors) {
      if (e.source === 'builder-output' || (e.source === 'unverified' && this.trust !== 'plain-log')) continue
      const mapped = this.mapOther(e)
      others.set(JSON.stringify(mapped), mapped)
    }
    for (const e of this.syntax) others.set(JSON.stringify(e), e)
    return { fodMismatches, otherHashErrors: [...others.values()], truncated: parsed.truncated || this.dropped }
  }

  private mapOther(e: ParsedOther): OtherHashError {
    return toExplainOther(e, e.kind === 'import-path' ? this.copies.get(e.subject) : undefined)
  }
}

/** Lix prints "likely URL: (unknown)" when it has no guess: that is no URL. */
export function meaningfulUrl(url: string | undefined): url is string {
  return url !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(url)
}

/** The parser's view of a non-FOD hash error in explain's shape; `copiedFrom`: the substituter, when Nix named one. */
export function toExplainOther(e: ParsedOther, copiedFrom?: string): OtherHashError {
  const hashes = { ...(e.specified !== undefined ? { expected: e.specified } : {}), ...(e.got !== undefined ? { got: e.got } : {}) }
  switch (e.kind) {
    case 'import-path':
      return copiedFrom !== undefined
        ? { kind: 'substitution', path: e.subject, url: copiedFrom, ...hashes }
        : { kind: 'import-path', path: e.subject, ...hashes }
    case 'builtin-fetch':
    case 'flake-input':
      return { kind: e.kind, url: e.subject, ...hashes }
  }
}

/**
 * A remote build's failure arrives as "build of 'D' on 'ssh-ng://…' failed: <the remote's error>";
 * the parser wants the error's own first line, so the wrapper is taken off (plain and msg events).
 */
function unwrapRemote(line: string): string {
  if (!line.startsWith('@nix ')) {
    const m = REMOTE_FAILED.exec(line)
    return m ? `${m[1]}error: ${line.slice(m[0].length)}` : line
  }
  if (!line.includes('build of ')) return line
  const event = parseInternalJsonLine(line)
  if (event?.action !== 'msg') return line
  const strip = (text: string): string => stripAnsi(text).replace(REMOTE_FAILED, '$1')
  const raw = event.raw_msg !== undefined ? { raw_msg: strip(event.raw_msg) } : {}
  return `@nix ${JSON.stringify({ action: 'msg', level: event.level, msg: strip(event.msg).replace(/^(?!error:)/, 'error: '), ...raw })}`
}
