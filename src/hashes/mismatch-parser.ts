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
// This module sorts lines and events by who speaks; report-blocks.ts pairs a report's lines, and
// hash-reports.ts holds what is reported.
import { ResultType, parseInternalJsonLine, stripAnsi } from '../nix/internal-json.js'
import type { NixLine } from '../nix/runner.js'
import type { HashMismatch, MismatchParseResult, OtherHashError, TrustMode } from './hash-reports.js'
import { MAX_REPORT_LINE, PendingBlock, ReportSink, mayStartReport, readMessage, stepBlock } from './report-blocks.js'

export {
  type HashMismatch,
  type MismatchParseResult,
  type OtherHashError,
  type OtherHashErrorKind,
  type ParsedOtherHashErrorKind,
  type ReportFormat,
  type ReportSource,
  type TrustMode,
  isActionable
} from './hash-reports.js'

export interface MismatchParserOptions {
  /**
   * 'internal-json-only': plain text lines are ignored; use for live `--log-format internal-json` runs.
   * 'plain-log': plain lines are read too (as 'unverified' or 'builder-output'); for saved logs.
   */
  trust: TrustMode
  /** Cap on kept reports per list (default 1000). */
  maxReports?: number
}

/** `nix build -L` prefixes builder lines with the derivation's name: `hello> …`. */
const BUILDER_PREFIX = /^[A-Za-z0-9+\-._?=]+> ?/
/** A failed builder's tail inside Nix's error ("last 10 log lines:") is quoted behind `> `. */
const QUOTED_LOG = /^\s*> ?/

const MAX_PENDING_ACTIVITIES = 64

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
  private readonly sink: ReportSink = {
    addMismatch: mismatch => this.addMismatch(mismatch),
    addOther: error => this.addOther(error)
  }

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
    // Too long for any report (colours included): it closes what is open, before any regex reads it.
    if (rawLine.length > 2 * MAX_REPORT_LINE) {
      this.plainBlock = this.plainBuilderBlock = undefined
      return
    }
    // Cheap exit for the common case: nothing open and nothing that could start a report.
    if (!this.plainBlock && !this.plainBuilderBlock && !mayStartReport(rawLine)) return
    this.readPlainLine(stripAnsi(rawLine).replace(/\r$/, ''))
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

  /** A plain line: a builder's when prefixed or quoted, else unverified (it may be Nix's, or a builder's unprefixed). */
  private readPlainLine(line: string): void {
    const prefixed = BUILDER_PREFIX.exec(line) ?? QUOTED_LOG.exec(line)
    if (prefixed) {
      this.plainBuilderBlock = stepBlock(this.plainBuilderBlock, line.slice(prefixed[0].length), 'builder-output', this.lineNo, this.sink)
    } else {
      this.plainBlock = stepBlock(this.plainBlock, line, 'unverified', this.lineNo, this.sink)
    }
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
      readMessage(verified ? event.raw_msg! : event.msg, verified ? 'nix' : 'unverified', this.lineNo, this.sink)
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
    if (rawText.length > 2 * MAX_REPORT_LINE) {
      this.resultBlocks.delete(id)
      return
    }
    if (!open && !mayStartReport(rawText)) return
    const next = stepBlock(open, stripAnsi(rawText), 'builder-output', this.lineNo, this.sink)
    if (next) {
      if (!open && this.resultBlocks.size >= MAX_PENDING_ACTIVITIES) return
      this.resultBlocks.set(id, next)
    } else {
      this.resultBlocks.delete(id)
    }
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

/** Parses a whole saved log (or its lines). */
export function parseMismatchLog(log: string | Iterable<string>, options: MismatchParserOptions): MismatchParseResult {
  const parser = new MismatchParser(options)
  const lines = typeof log === 'string' ? log.split('\n') : log
  for (const line of lines) parser.push(line)
  return parser.finish()
}
