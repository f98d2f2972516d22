// Undoes what happens to a Nix log between the terminal and `nix-ci explain`: CRLF line ends,
// ANSI colour, GitHub Actions job-log timestamps and `##[error]` markers, a code block's
// indentation or a Markdown quote's `> `, nix-output-monitor's frame (`┃ `, `│ `, `┏━ 1 Errors:`,
// `⋮`), and Markdown fences. What comes out is the line as Nix (or the builder) wrote it, so the
// recognisers need to know one layout only. Streaming with O(1) state: the paste's indentation
// and quoting are learnt from its first non-empty line. Every line passes through here, so the
// common case (a line starting with a letter, no escape codes) costs a few character tests.
import { stripAnsi } from '../nix/internal-json.js'

/** The runner's rendering of workflow commands: `##[error]`, `##[group]`, ... */
const ACTIONS_MARKER = /^##\[[a-z]+\]/
const FENCE = /^\s*(?:```|~~~)/
const NOM_FRAME = /^\s*(?:[┏┣┗]━|⋮\s*$)/
const QUOTE = /^\s*>(?: |$)/

export class PasteNormaliser {
  /** Leading whitespace every line of this paste got (a Markdown code block, a quoted e-mail). */
  private indent?: number
  /** The paste is a Markdown quote: its first line started with `> ` (Nix's own output never does). */
  private quoted = false

  /** The paste's layout is learnt and plain: a line that starts with a letter comes out as it went in, ANSI aside. */
  get plain(): boolean {
    return this.indent !== undefined && !this.quoted
  }

  normalise(raw: string): string {
    let line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    let first = line.charCodeAt(0)
    if (first === 64 && this.indent !== undefined && line.startsWith('@nix ')) return line
    if (line.indexOf('\u001b') !== -1) {
      line = stripAnsi(line)
      first = line.charCodeAt(0)
    }
    if (first >= 48 && first <= 57) {
      line = stripTimestamp(line)
      first = line.charCodeAt(0)
    }
    if (first === 35 && line.startsWith('##[')) line = line.replace(ACTIONS_MARKER, '')
    if (this.indent === undefined) {
      // Nix, the test driver and builders start their first line at column 0: any indentation
      // (or `> `) the first line of the paste has was added by pasting, and every line got the same.
      if (line.trim() === '' || FENCE.test(line)) return ''
      this.quoted = QUOTE.test(line)
      if (this.quoted) line = unquote(line)
      this.indent = line.length - line.trimStart().length
    } else if (this.quoted) {
      line = unquote(line)
    }
    if (this.indent > 0) line = dedent(line, this.indent)
    first = line.charCodeAt(0)
    // Letters and digits start nearly every line: nothing below applies to them.
    if ((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || (first >= 48 && first <= 57)) return line
    if (first === 0x2503 || first === 0x2502) return line.slice(line.charCodeAt(1) === 32 ? 2 : 1)
    if (NOM_FRAME.test(line) || FENCE.test(line)) return ''
    return line
  }
}

function stripTimestamp(line: string): string {
  const length = timestampLength(line)
  return length === 0 ? line : line.slice(length)
}

/** `2024-05-01T12:34:56.1234567Z ` at the start of every line of a downloaded job log: its length, or 0. */
export function timestampLength(line: string): number {
  if (
    line.length < 20 ||
    line.charCodeAt(4) !== 45 ||
    line.charCodeAt(10) !== 84 ||
    line.charCodeAt(13) !== 58 ||
    line.charCodeAt(16) !== 58
  )
    return 0
  const first = line.charCodeAt(0)
  if (first < 48 || first > 57) return 0
  const z = line.indexOf('Z', 19)
  if (z === -1 || z > 32) return 0
  return line.charCodeAt(z + 1) === 32 ? z + 2 : z + 1
}

function unquote(line: string): string {
  const m = QUOTE.exec(line)
  return m ? line.slice(m[0].length) : line
}

function dedent(line: string, width: number): string {
  let i = 0
  while (i < width && (line[i] === ' ' || line[i] === '\t')) i++
  return line.slice(i)
}
