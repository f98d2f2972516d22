// Reads Nix's own reports of fixed-output hash mismatches out of a build log, line by line, with
// bounded state. Only Nix's words count, and Nix 2.8 lets a builder speak with Nix's voice:
//   * plain stderr: builder output is unprefixed without -L (nix-build, or a builder failure's
//     quoted tail), so a forged report looks exactly like a real one;
//   * internal-json: a builder line `@nix {"action":"msg","level":0,"msg":"…"}` is re-logged by
//     Nix as a genuine level-0 msg event (handleJSONLogMessage -> logger->log).
// What a builder cannot forge is `raw_msg`: Nix writes it only for its own structured errors
// (JSONLogger::logEI), and the builder's JSON is reduced to `level` and `msg` before it is re-logged.
// So a report is `source: 'nix'` only when it arrives as a level-0 msg event carrying `raw_msg`
// whose FIRST line is the report's header. Everything else shaped like a report is 'unverified'
// (it may be real: a nix-daemon relays its errors as plain text, without raw_msg) or
// 'builder-output' (-L `name> ` lines, `> ` lines under "last N log lines", result events).
import { ResultType, parseInternalJsonLine, stripAnsi } from '../nix/internal-json.js'
import type { NixLine } from '../nix/runner.js'
import { HashAlgo, tryParseHash } from './codec.js'

export type TrustMode = 'internal-json-only' | 'plain-log'
export type ReportSource = 'nix' | 'unverified' | 'builder-output'
export type ReportFormat = 'nix-2.4+' | 'nix-2.3' | 'lix' | 'nix-2.0' | 'nix-1.x'

export interface HashMismatch {
  /** The store path as printed: a .drv (Nix >= 2.4, Lix) or the output path (Nix 2.3 and older). */
  derivation: string
  kind: 'drv' | 'output-path'
  /** Hash text exactly as printed (SRI since Nix 2.4, `sha256:<nix32>` in 2.3, bare in 2.0 and 1.x). */
  specified: string
  got: string
  algo: HashAlgo
  source: ReportSource
  format: ReportFormat
  /** Lix's guess at the URL that was fetched, when printed. */
  likelyUrl?: string
  /** 1-based line of the log where the report starts. */
  line: number
}

export type OtherHashErrorKind =
  | 'path-import' // substitution / NAR import: "hash mismatch importing path"
  | 'flake-input-nar-hash' // "NAR hash mismatch in input"
  | 'flake-input-field' // "mismatch in field 'narHash' of input"
  | 'fetcher-download' // builtin fetchers: "hash mismatch in file downloaded from"

/** Hash errors that are NOT a fixed-output derivation's hash: never to be patched as one. */
export interface OtherHashError {
  kind: OtherHashErrorKind
  /** The store path, URL or flake input the error names. */
  subject: string
  specified?: string
  got?: string
  source: ReportSource
  line: number
  /** First line of the message, ANSI stripped, at most 500 characters. */
  text: string
}

export interface MismatchParseResult {
  mismatches: HashMismatch[]
  otherHashErrors: OtherHashError[]
  /** More reports than `maxReports` arrived; the rest were dropped. */
  truncated: boolean
}

export interface MismatchParserOptions {
  /**
   * 'internal-json-only': plain text lines are ignored; use for live `--log-format internal-json` runs.
   * 'plain-log': plain lines are read too (as 'unverified' or 'builder-output'); for saved logs.
   */
  trust: TrustMode
  /** Cap on kept reports per list (default 1000). */
  maxReports?: number
}

/** Only these may be acted on or repeated as Nix's word: Nix's own structured error, unforgeable by a builder. */
export function isActionable(report: { source: ReportSource }): boolean {
  return report.source === 'nix'
}

const STORE_PATH = /^\/(?:[^\s'/]+\/)+[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]+$/

const FOD_HEADER = /^\s*(?:error:\s*)?hash mismatch in fixed-output derivation '([^']+)':\s*$/
const IMPORT_HEADER = /^\s*(?:error:\s*)?(?:ca )?hash mismatch importing path '([^']+)';\s*$/
const DOWNLOAD_HEADER = /^\s*(?:error:\s*)?hash mismatch in file downloaded from '([^']+)':\s*$/
const NAR_INPUT =
  /^\s*(?:error:\s*)?NAR hash mismatch in input '(.*?)'(?: \([^)]*\))?, expected '([^']+)'(?:(?:,| but) got '([^']+)')?/
const FIELD_INPUT = /^\s*(?:error:\s*)?mismatch in field '([^']+)' of input '(.*)', got '(.*)'\s*$/
const NIX_20 =
  /^\s*(?:error:\s*)?fixed-output derivation produced path '([^']+)' with (sha1|sha256|sha512) hash '([^']+)' instead of the expected hash '([^']+)'/
/**
 * Nix 1.x (libstore/build.cc): "output path `%1%' should have %2% hash `%3%', instead has `%4%'"
 * (`r:` marks a recursive hash; 1.11 quotes with ‘’). The output path, wanted first, bare hashes.
 */
const NIX_1X =
  /^\s*(?:error:\s*)?output path [`'‘]([^'’]+)['’] should have (?:r:)?(sha1|sha256|sha512) hash [`'‘]([^'’]+)['’], instead has [`'‘]([^'’]+)['’]/

const SPECIFIED = /^\s*(specified|wanted):\s*(\S+)\s*$/
const GOT = /^\s*got:\s*(\S+)\s*$/
const LIKELY_URL = /^\s*likely URL:\s*(.*?)\s*$/
const LIX_PATHS = /^\s*(?:expected path|got path):\s*\S*\s*$/
/** `nix build -L` prefixes builder lines with the derivation's name: `hello> …`. */
const BUILDER_PREFIX = /^[A-Za-z0-9+\-._?=]+> ?/
/** A failed builder's tail inside Nix's error ("last 10 log lines:") is quoted behind `> `. */
const QUOTED_LOG = /^\s*> ?/

const MAX_BODY_LINES = 10
const MAX_PENDING_ACTIVITIES = 64

type BlockCategory = 'fod' | 'path-import' | 'fetcher-download'

interface PendingBlock {
  category: BlockCategory
  subject: string
  headerText: string
  line: number
  source: ReportSource
  specified?: string
  specifiedWord?: string
  got?: string
  likelyUrl?: string
  lixLines: boolean
  bodyLines: number
}

export class MismatchParser {
  private readonly mismatches: HashMismatch[] = []
  private readonly others: OtherHashError[] = []
  private truncated = false
  private lineNo = 0
  private plainBlock?: PendingBlock
  private plainBuilderBlock?: PendingBlock
  /** Builder output of internal-json runs (result events), per activity, while a report-like block is open. */
  private readonly resultBlocks = new Map<number, PendingBlock>()
  private readonly maxReports: number

  constructor(private readonly options: MismatchParserOptions) {
    this.maxReports = options.maxReports ?? 1000
  }

  /** Feeds the runner's lines (stderr only; stdout carries results, not logs). */
  readonly onLine = (line: NixLine): void => {
    if (line.stream === 'stderr') this.push(line.text)
  }

  /** One log line, without its newline. */
  push(rawLine: string): void {
    this.lineNo++
    if (rawLine.startsWith('@nix ')) {
      this.pushInternalJson(rawLine)
      return
    }
    if (this.options.trust === 'internal-json-only') return
    // Cheap exit for the common case: nothing open and nothing that could start a report.
    if (!this.plainBlock && !this.plainBuilderBlock && !mayStartReport(rawLine)) return
    const line = stripAnsi(rawLine).replace(/\r$/, '')
    const prefixed = BUILDER_PREFIX.exec(line) ?? QUOTED_LOG.exec(line)
    if (prefixed) {
      this.plainBuilderBlock = this.step(this.plainBuilderBlock, line.slice(prefixed[0].length), 'builder-output')
    } else {
      this.plainBlock = this.step(this.plainBlock, line, 'unverified')
    }
  }

  /** Closes what is still open; returns everything found so far. */
  finish(): MismatchParseResult {
    this.plainBlock = undefined
    this.plainBuilderBlock = undefined
    this.resultBlocks.clear()
    return this.result()
  }

  result(): MismatchParseResult {
    return { mismatches: [...this.mismatches], otherHashErrors: [...this.others], truncated: this.truncated }
  }

  private pushInternalJson(rawLine: string): void {
    const interesting = mayStartReport(rawLine)
    if (!interesting && (this.resultBlocks.size === 0 || !rawLine.includes('"result"'))) return
    const logLine = builderLogLine(rawLine)
    if (logLine) {
      this.readBuilderLine(logLine.id, logLine.text)
      return
    }
    const event = parseInternalJsonLine(rawLine)
    if (!event) return
    if (event.action === 'msg') {
      if (event.level !== 0) return
      // raw_msg is Nix's own message (logEI); a builder's `@nix` msg never carries one.
      const verified = event.raw_msg !== undefined
      this.readMessage(verified ? event.raw_msg! : event.msg, verified ? 'nix' : 'unverified')
      return
    }
    if (event.action === 'result') {
      if (event.type !== ResultType.BuildLogLine && event.type !== ResultType.PostBuildLogLine) return
      this.readBuilderLine(event.id, typeof event.fields[0] === 'string' ? event.fields[0] : '')
    }
  }

  /** A builder's output line (result event): only ever 'builder-output'. */
  private readBuilderLine(id: number, rawText: string): void {
    const open = this.resultBlocks.get(id)
    if (!open && !mayStartReport(rawText)) return
    const next = this.step(open, stripAnsi(rawText), 'builder-output')
    if (next) {
      if (!open && this.resultBlocks.size >= MAX_PENDING_ACTIVITIES) return
      this.resultBlocks.set(id, next)
    } else {
      this.resultBlocks.delete(id)
    }
  }

  /**
   * A whole message from Nix's logger. Its first line must be the report's header and every other
   * line must belong to the report, with exactly one `specified`/`wanted` and one `got`: text that
   * is merely contained in a message (a failed builder's quoted tail, an evaluation trace, or a
   * derivation's `url` that Lix prints as "likely URL") is never read as a report.
   */
  private readMessage(message: string, source: ReportSource): void {
    const lines = stripAnsi(message).replace(/\n+$/, '').split('\n')
    if (lines.length > MAX_BODY_LINES + 1) return
    const body = lines.slice(1)
    const count = (re: RegExp): number => body.filter(l => re.test(l)).length
    const known = (l: string): boolean =>
      l.trim() === '' || SPECIFIED.test(l) || GOT.test(l) || LIKELY_URL.test(l) || LIX_PATHS.test(l)
    let block = this.openBlock(lines[0], source)
    if (!block) return
    if (!body.every(known) || count(SPECIFIED) !== 1 || count(GOT) !== 1 || count(LIKELY_URL) > 1) return
    for (const line of body) {
      const next = this.continueBlock(block, line)
      if (next === 'rejected' || next === undefined) return
      block = next
    }
  }

  /** Advances a plain/result line stream by one line; returns the block still open, if any. */
  private step(open: PendingBlock | undefined, line: string, source: ReportSource): PendingBlock | undefined {
    if (open) {
      const next = this.continueBlock(open, line)
      if (next !== 'rejected') return next
      // The line ended the block without completing it: it may start the next report.
    }
    return this.openBlock(line, source)
  }

  private openBlock(line: string, source: ReportSource): PendingBlock | undefined {
    let m: RegExpExecArray | null
    const base = { headerText: line, line: this.lineNo, source, lixLines: false, bodyLines: 0 }
    if ((m = FOD_HEADER.exec(line)) && STORE_PATH.test(m[1])) return { ...base, category: 'fod', subject: m[1] }
    if ((m = IMPORT_HEADER.exec(line))) return { ...base, category: 'path-import', subject: m[1] }
    if ((m = DOWNLOAD_HEADER.exec(line))) return { ...base, category: 'fetcher-download', subject: m[1] }
    if ((m = NAR_INPUT.exec(line))) {
      this.addOther({ kind: 'flake-input-nar-hash', subject: m[1], specified: m[2], got: m[3], source, line: this.lineNo, text: line })
    } else if ((m = FIELD_INPUT.exec(line))) {
      this.addOther({ kind: 'flake-input-field', subject: m[2], source, line: this.lineNo, text: line })
    } else if ((m = NIX_20.exec(line)) && STORE_PATH.test(m[1])) {
      this.addOneLine(m[1], m[2] as HashAlgo, m[4], m[3], source, 'nix-2.0')
    } else if ((m = NIX_1X.exec(line)) && STORE_PATH.test(m[1])) {
      this.addOneLine(m[1], m[2] as HashAlgo, m[3], m[4], source, 'nix-1.x')
    }
    return undefined
  }

  /** The one-line reports of Nix 2.0/2.1 and 1.x: bare hashes of the algorithm the sentence names. */
  private addOneLine(path: string, algo: HashAlgo, specified: string, got: string, source: ReportSource, format: ReportFormat): void {
    if (!tryParseHash(specified, algo) || !tryParseHash(got, algo)) return
    this.addMismatch({
      derivation: path,
      kind: path.endsWith('.drv') ? 'drv' : 'output-path',
      specified,
      got,
      algo,
      source,
      format,
      line: this.lineNo
    })
  }

  private continueBlock(block: PendingBlock, line: string): PendingBlock | undefined | 'rejected' {
    if (++block.bodyLines > MAX_BODY_LINES) return 'rejected'
    let m: RegExpExecArray | null
    if (line.trim() === '') return block
    if ((m = SPECIFIED.exec(line))) {
      if (block.specified !== undefined) return 'rejected'
      block.specified = m[2]
      block.specifiedWord = m[1]
      return block
    }
    if ((m = GOT.exec(line))) {
      if (block.specified === undefined) return 'rejected'
      block.got = m[1]
      return this.complete(block)
    }
    if ((m = LIKELY_URL.exec(line)) && block.specified === undefined) {
      block.likelyUrl = m[1]
      block.lixLines = true
      return block
    }
    if (LIX_PATHS.test(line)) return block
    return 'rejected'
  }

  private complete(block: PendingBlock): undefined | 'rejected' {
    const specified = block.specified!
    const got = block.got!
    const a = tryParseHash(specified)
    const b = tryParseHash(got)
    // Nix always prints both in one algorithm and with a prefix; anything else is not its report.
    if (!a || !b || a.algo !== b.algo) return 'rejected'
    if (block.category === 'fod') {
      this.addMismatch({
        derivation: block.subject,
        kind: block.subject.endsWith('.drv') ? 'drv' : 'output-path',
        specified,
        got,
        algo: a.algo,
        source: block.source,
        format: block.lixLines ? 'lix' : block.specifiedWord === 'wanted' ? 'nix-2.3' : 'nix-2.4+',
        ...(block.likelyUrl !== undefined ? { likelyUrl: block.likelyUrl } : {}),
        line: block.line
      })
    } else {
      this.addOther({
        kind: block.category,
        subject: block.subject,
        specified,
        got,
        source: block.source,
        line: block.line,
        text: block.headerText
      })
    }
    return undefined
  }

  private addMismatch(mismatch: HashMismatch): void {
    if (this.mismatches.length >= this.maxReports) {
      this.truncated = true
      return
    }
    this.mismatches.push(mismatch)
  }

  private addOther(error: OtherHashError): void {
    // A builder's line is never Nix's hash error, and its text is the builder's to choose: not kept.
    if (error.source === 'builder-output') return
    if (this.others.length >= this.maxReports) {
      this.truncated = true
      return
    }
    const text = error.text.trim().slice(0, 500)
    this.others.push({ ...error, text })
  }
}

/**
 * Fast path for the commonest line of a build log, a builder's output line, in the exact layout
 * Nix writes (nlohmann::json sorts keys). Anything else goes through the full JSON parser.
 */
const BUILDER_LOG_LINE = /^@nix \{"action":"result","fields":\[("(?:[^"\\]|\\.)*")\],"id":(\d+),"type":10[17]\}$/

function builderLogLine(rawLine: string): { id: number; text: string } | undefined {
  const m = BUILDER_LOG_LINE.exec(rawLine)
  if (!m) return undefined
  try {
    return { id: Number(m[2]), text: JSON.parse(m[1]) as string }
  } catch {
    return undefined
  }
}

function mayStartReport(text: string): boolean {
  return text.includes('mismatch') || text.includes('instead of the expected hash') || text.includes('instead has')
}

/** Parses a whole saved log (or its lines). */
export function parseMismatchLog(log: string | Iterable<string>, options: MismatchParserOptions): MismatchParseResult {
  const parser = new MismatchParser(options)
  const lines = typeof log === 'string' ? log.split('\n') : log
  for (const line of lines) parser.push(line)
  return parser.finish()
}
