// Undoes what happens to a Nix log between the terminal and `nix-ci explain`: CRLF line ends,
// ANSI colour, GitHub Actions job-log timestamps and `##[error]` markers, a code block's
// indentation, nix-output-monitor's frame (`┃ `), and Markdown fences. What comes out is the
// line as Nix (or the builder) wrote it, so the recognisers need to know one layout only.
// Streaming with O(1) state: the paste indentation is learnt from the first non-empty line.
import { stripAnsi } from '../nix/internal-json.js'

/** `2024-05-01T12:34:56.1234567Z ` at the start of every line of a downloaded job log. */
const ACTIONS_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/
/** The runner's rendering of workflow commands: `##[error]`, `##[group]`, ... */
const ACTIONS_MARKER = /^##\[[a-z]+\]/
const NOM_FRAME_LINE = /^[┏┣┗]━/
const FENCE = /^\s*(?:```|~~~)/

export class PasteNormaliser {
  /** Leading whitespace every line of this paste got (a Markdown code block, a quoted e-mail). */
  private indent?: number

  normalise(raw: string): string {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.startsWith('@nix ') && this.indent !== undefined) return line
    if (line.includes('\u001b')) line = stripAnsi(line)
    const first = line.charCodeAt(0)
    if (first >= 48 && first <= 57) line = line.replace(ACTIONS_TIMESTAMP, '')
    if (line.startsWith('##[')) line = line.replace(ACTIONS_MARKER, '')
    if (this.indent === undefined) {
      // Nix, the test driver and builders start their first line at column 0: any indentation
      // the first line of the paste has was added by pasting, and every line got the same.
      if (line.trim() === '' || FENCE.test(line)) return ''
      this.indent = line.length - line.trimStart().length
    }
    if (this.indent > 0) line = dedent(line, this.indent)
    if (line.startsWith('┃')) line = line.slice(line.startsWith('┃ ') ? 2 : 1)
    else if (NOM_FRAME_LINE.test(line) || FENCE.test(line)) return ''
    return line
  }
}

function dedent(line: string, width: number): string {
  let i = 0
  while (i < width && (line[i] === ' ' || line[i] === '\t')) i++
  return line.slice(i)
}
