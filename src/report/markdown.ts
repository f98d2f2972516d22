// Every string nix-ci puts into Markdown that GitHub renders (the fix PR's body, its comments, the
// job summary) goes through one of these. Derivation names, file paths, branch names, Nix's messages
// and anything a builder printed are data: they must never become a link, a mention, an image, an
// HTML element, a heading, or close the code span or block they sit in.

/** Invisible, and breaks GitHub's autolinks and @mentions/#references where it stands. */
const ZWSP = '\u200b'

function joinLines(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ')
}

/**
 * Plain text, inline: the characters that make links, images, code and emphasis are backslash-escaped,
 * HTML's are written as entities, line breaks become spaces (so no heading, list or table row can
 * start), and mentions, issue references and bare URLs are broken up. A `_` inside a word (x86_64)
 * cannot start emphasis and stays as it is. `|` is left to markdownTable, which escapes it in cells.
 */
export function markdownText(text: string): string {
  return joinLines(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, c => `\\${c}`)
    .replace(/@/g, `@${ZWSP}`)
    .replace(/#(?=\w)/g, `#${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, m => `${m.slice(0, 3)}${ZWSP}.`)
}

/** Inline code: the fence is one backtick longer than any run inside, so nothing can close it early. */
export function markdownCode(text: string): string {
  const body = joinLines(text)
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longest + 1)
  // A code span's content that starts or ends with a backtick needs a space to keep it apart.
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : ''
  return body === '' ? '` `' : `${fence}${pad}${body}${pad}${fence}`
}

/** A fenced block whose fence is longer than any backtick run in the lines. */
export function markdownCodeBlock(lines: string | string[], info = ''): string {
  const body = (Array.isArray(lines) ? lines.join('\n') : lines).replace(/\r\n|\r/g, '\n')
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return `${fence}${info}\n${body}\n${fence}`
}

/**
 * nix-ci's own messages, which may quote what Nix or a builder said: code spans written in them
 * (balanced backtick runs, as CommonMark pairs them) stay code spans, everything else is text.
 * Whoever controls part of the message can move where a code span starts or ends, but text is
 * always escaped and code is always inert, so nothing in it renders as anything but text.
 */
export function markdownProse(text: string): string {
  const line = joinLines(text)
  let out = ''
  let plain = ''
  let i = 0
  while (i < line.length) {
    if (line[i] !== '`') {
      plain += line[i++]
      continue
    }
    let run = 1
    while (line[i + run] === '`') run++
    const close = closingRun(line, i + run, run)
    if (close === -1) {
      plain += line.slice(i, i + run)
      i += run
      continue
    }
    out += markdownText(plain) + markdownCode(line.slice(i + run, close))
    plain = ''
    i = close + run
  }
  return out + markdownText(plain)
}

/** Where the next backtick run of exactly `length` starts at or after `from`, or -1. */
function closingRun(text: string, from: number, length: number): number {
  let i = from
  while (i < text.length) {
    if (text[i] !== '`') {
      i++
      continue
    }
    let run = 1
    while (text[i + run] === '`') run++
    if (run === length) return i
    i += run
  }
  return -1
}

/** A link nix-ci makes to a file of the repository: the path is percent-encoded, the label code. */
export function markdownFileLink(label: string, base: string, path: string, lineNumber?: number): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/')
  return `[${markdownCode(label)}](${base}/${encoded}${lineNumber !== undefined ? `#L${lineNumber}` : ''})`
}
