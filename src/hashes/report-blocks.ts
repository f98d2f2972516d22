// The shapes of Nix's hash reports, and the pairing of a report's lines: a header line that names
// the derivation (or path, URL, flake input), then one `specified:`/`wanted:` and one `got:` line,
// with only the lines Nix itself prints in between. Older Nix and flake inputs say it on one line.
// Knows nothing of where a line came from: the parser says which source a line speaks for.
import { HashAlgo, tryParseHash } from './codec.js'
import type { HashMismatch, OtherHashError, ParsedOtherHashErrorKind, ReportFormat, ReportSource } from './hash-reports.js'
import { stripAnsi } from '../nix/internal-json.js'

const STORE_PATH = /^\/(?:[^\s'/]+\/)+[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]+$/

const FOD_HEADER = /^\s*(?:error:\s*)?hash mismatch in fixed-output derivation '([^']+)':\s*$/
const IMPORT_HEADER = /^\s*(?:error:\s*)?(?:ca )?hash mismatch importing path '([^']+)';\s*$/
const DOWNLOAD_HEADER = /^\s*(?:error:\s*)?hash mismatch in file downloaded from '([^']+)':\s*$/
// The two flake-input reports quote text that may hold quotes (an input's name, JSON): they are
// cut apart with indexOf (flakeInputReport), since a regex that searches for the closing quote
// backtracks quadratically on a builder's long line of quotes.
const NAR_INPUT_START = /^\s*(?:error:\s*)?NAR hash mismatch in input '/
const FIELD_INPUT_START = /^\s*(?:error:\s*)?mismatch in field '([^']+)' of input '/
const NIX_20 =
  /^\s*(?:error:\s*)?fixed-output derivation produced path '([^']+)' with (sha1|sha256|sha512) hash '([^']+)' instead of the expected hash '([^']+)'/
/**
 * Nix 1.x (libstore/build.cc): "output path `%1%' should have %2% hash `%3%', instead has `%4%'"
 * (`r:` marks a recursive hash; 1.11 quotes with ‘’). The output path, wanted first, bare hashes.
 */
const NIX_1X =
  /^\s*(?:error:\s*)?output path [`'‘]([^'’]+)['’] should have (?:r:)?(sha1|sha256|sha512) hash [`'‘]([^'’]+)['’], instead has [`'‘]([^'’]+)['’]/

/**
 * Longer lines are never one of Nix's hash reports (a store path is at most 211 characters, a flake
 * input's JSON a few hundred): they are not read at all, so no regex sees a builder's megabyte line.
 */
export const MAX_REPORT_LINE = 8192

const SPECIFIED = /^\s*(specified|wanted):\s*(\S+)\s*$/
const GOT = /^\s*got:\s*(\S+)\s*$/
const LIKELY_URL = /^\s*likely URL:\s*(.*?)\s*$/
const LIX_PATHS = /^\s*(?:expected path|got path):\s*\S*\s*$/

export const MAX_BODY_LINES = 10

/** Where completed reports go (the parser keeps them, bounded). */
export interface ReportSink {
  addMismatch(mismatch: HashMismatch): void
  addOther(error: OtherHashError): void
}

type BlockCategory = 'fod' | Extract<ParsedOtherHashErrorKind, 'import-path' | 'builtin-fetch'>

/** A report whose header was read and whose `specified`/`got` lines are still to come. */
export interface PendingBlock {
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

/** Cheap test before any regex: could this text start (or be) a report? */
export function mayStartReport(text: string): boolean {
  return text.includes('mismatch') || text.includes('instead of the expected hash') || text.includes('instead has')
}

/** Advances a line stream by one line; returns the block still open, if any. */
export function stepBlock(
  open: PendingBlock | undefined,
  line: string,
  source: ReportSource,
  lineNo: number,
  sink: ReportSink
): PendingBlock | undefined {
  // No report holds such a line: it closes any open block, and no regex reads it.
  if (line.length > MAX_REPORT_LINE) return undefined
  if (open) {
    const next = continueBlock(open, line, sink)
    if (next !== 'rejected') return next
    // The line ended the block without completing it: it may start the next report.
  }
  return openBlock(line, source, lineNo, sink)
}

/**
 * A whole message from Nix's logger. Its first line must be the report's header and every other
 * line must belong to the report, with exactly one `specified`/`wanted` and one `got`: text that
 * is merely contained in a message (a failed builder's quoted tail, an evaluation trace, or a
 * derivation's `url` that Lix prints as "likely URL") is never read as a report.
 */
export function readMessage(message: string, source: ReportSource, lineNo: number, sink: ReportSink): void {
  if (message.length > MAX_REPORT_LINE * (MAX_BODY_LINES + 1)) return
  const lines = withoutTrailingNewlines(stripAnsi(message)).split('\n')
  if (lines.length > MAX_BODY_LINES + 1) return
  const body = lines.slice(1)
  let block = openBlock(lines[0], source, lineNo, sink)
  if (!block || !isWholeReportBody(body)) return
  for (const line of body) {
    const next = continueBlock(block, line, sink)
    if (next === 'rejected' || next === undefined) return
    block = next
  }
}

function withoutTrailingNewlines(text: string): string {
  let end = text.length
  while (end > 0 && text[end - 1] === '\n') end--
  return text.slice(0, end)
}

function isWholeReportBody(body: string[]): boolean {
  const count = (re: RegExp): number => body.filter(l => re.test(l)).length
  const known = (l: string): boolean => l.trim() === '' || SPECIFIED.test(l) || GOT.test(l) || LIKELY_URL.test(l) || LIX_PATHS.test(l)
  return body.every(known) && count(SPECIFIED) === 1 && count(GOT) === 1 && count(LIKELY_URL) <= 1
}

/** A header opens a block; a one-line report is complete at once and goes to the sink. */
function openBlock(line: string, source: ReportSource, lineNo: number, sink: ReportSink): PendingBlock | undefined {
  if (line.length > MAX_REPORT_LINE) return undefined // (readMessage's lines come here unchecked)
  let m: RegExpExecArray | null
  if ((m = FOD_HEADER.exec(line)) && STORE_PATH.test(m[1])) return pendingBlock('fod', m[1], line, lineNo, source)
  if ((m = IMPORT_HEADER.exec(line))) return pendingBlock('import-path', m[1], line, lineNo, source)
  if ((m = DOWNLOAD_HEADER.exec(line))) return pendingBlock('builtin-fetch', m[1], line, lineNo, source)
  const input = flakeInputReport(line)
  if (input) {
    sink.addOther({ kind: 'flake-input', ...input, source, line: lineNo, text: line })
  } else if ((m = NIX_20.exec(line)) && STORE_PATH.test(m[1])) {
    addOneLine(sink, m[1], m[2] as HashAlgo, m[4], m[3], source, 'nix-2.0', lineNo)
  } else if ((m = NIX_1X.exec(line)) && STORE_PATH.test(m[1])) {
    addOneLine(sink, m[1], m[2] as HashAlgo, m[3], m[4], source, 'nix-1.x', lineNo)
  }
  return undefined
}

function pendingBlock(category: BlockCategory, subject: string, headerText: string, line: number, source: ReportSource): PendingBlock {
  return { category, subject, headerText, line, source, lixLines: false, bodyLines: 0 }
}

/**
 * "NAR hash mismatch in input '<name>' (<path>), expected '<hash>', got '<hash>'" (2.x; the path and
 * the got part vary), or "mismatch in field '<f>' of input '<json>', got '<json>'" (2.2x+).
 */
function flakeInputReport(line: string): Pick<OtherHashError, 'subject' | 'specified' | 'got'> | undefined {
  let m: RegExpExecArray | null
  if ((m = NAR_INPUT_START.exec(line))) return narInputMismatch(line.slice(m[0].length))
  if ((m = FIELD_INPUT_START.exec(line))) {
    // The input's JSON runs to the last "', got '"; the got JSON to the line's closing quote.
    const rest = line.slice(m[0].length).trimEnd()
    const cut = rest.lastIndexOf("', got '")
    if (cut < 0 || !rest.endsWith("'") || rest.length - 1 < cut + "', got '".length) return undefined
    return flakeFieldMismatch(m[1], rest.slice(0, cut), rest.slice(cut + "', got '".length, -1))
  }
  return undefined
}

/** After "NAR hash mismatch in input '": `<name>'[ (<path>)], expected '<hash>'[(,| but) got '<hash>']`. */
function narInputMismatch(rest: string): Pick<OtherHashError, 'subject' | 'specified' | 'got'> | undefined {
  const expected = rest.indexOf(", expected '")
  if (expected < 0) return undefined
  const subject = inputName(rest.slice(0, expected))
  if (subject === undefined) return undefined
  const afterExpected = rest.slice(expected + ", expected '".length)
  const specifiedEnd = afterExpected.indexOf("'")
  if (specifiedEnd <= 0) return undefined
  const tail = /^(?:,| but) got '([^']+)'/.exec(afterExpected.slice(specifiedEnd + 1))
  return { subject, specified: afterExpected.slice(0, specifiedEnd), ...(tail ? { got: tail[1] } : {}) }
}

/** `<name>'` or `<name>' (<path>)`: the name, up to its closing quote. */
function inputName(head: string): string | undefined {
  if (head.endsWith("'")) return head.slice(0, -1)
  if (!head.endsWith(')')) return undefined
  const open = head.lastIndexOf(' (')
  if (open < 1 || head[open - 1] !== "'" || head.slice(open + 2, -1).includes(')')) return undefined
  return head.slice(0, open - 1)
}

/**
 * "mismatch in field 'narHash' of input '{…}', got '{…}'": both attribute sets are JSON; the
 * input is named by its `url` when it has one, and the field's two values are the hashes.
 */
function flakeFieldMismatch(field: string, wantedText: string, gotText: string): Pick<OtherHashError, 'subject' | 'specified' | 'got'> {
  const wanted = parseAttrs(wantedText)
  const got = parseAttrs(gotText)
  return {
    subject: typeof wanted?.url === 'string' ? wanted.url : wantedText,
    ...(typeof wanted?.[field] === 'string' ? { specified: wanted[field] as string } : {}),
    ...(typeof got?.[field] === 'string' ? { got: got[field] as string } : {})
  }
}

function parseAttrs(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The one-line reports of Nix 2.0/2.1 and 1.x: bare hashes of the algorithm the sentence names. */
function addOneLine(
  sink: ReportSink,
  path: string,
  algo: HashAlgo,
  specified: string,
  got: string,
  source: ReportSource,
  format: ReportFormat,
  line: number
): void {
  if (!tryParseHash(specified, algo) || !tryParseHash(got, algo)) return
  sink.addMismatch({ derivation: path, kind: path.endsWith('.drv') ? 'drv' : 'output-path', specified, got, algo, source, format, line })
}

function continueBlock(block: PendingBlock, line: string, sink: ReportSink): PendingBlock | undefined | 'rejected' {
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
    return complete(block, sink)
  }
  if ((m = LIKELY_URL.exec(line)) && block.specified === undefined) {
    block.likelyUrl = m[1]
    block.lixLines = true
    return block
  }
  if (LIX_PATHS.test(line)) return block
  return 'rejected'
}

function complete(block: PendingBlock, sink: ReportSink): undefined | 'rejected' {
  const specified = block.specified!
  const got = block.got!
  const a = tryParseHash(specified)
  const b = tryParseHash(got)
  // Nix always prints both in one algorithm and with a prefix; anything else is not its report.
  if (!a || !b || a.algo !== b.algo) return 'rejected'
  const { subject: derivation, source, line } = block
  if (block.category !== 'fod') {
    sink.addOther({ kind: block.category, subject: derivation, specified, got, source, line, text: block.headerText })
    return undefined
  }
  sink.addMismatch({
    derivation,
    kind: derivation.endsWith('.drv') ? 'drv' : 'output-path',
    specified,
    got,
    algo: a.algo,
    source,
    format: block.lixLines ? 'lix' : block.specifiedWord === 'wanted' ? 'nix-2.3' : 'nix-2.4+',
    ...(block.likelyUrl !== undefined ? { likelyUrl: block.likelyUrl } : {}),
    line
  })
  return undefined
}
