// Repository file names are data from whoever can push a commit or open a pull request: git allows
// newlines, `::`, `##[`, `%` and terminal escapes in them. Printed raw at the start of a log line,
// `deps\n::error::…\n.nix` is a workflow command the runner acts on, and an escape sequence drives
// the user's terminal. Every repository path that reaches a log line, an annotation, a summary, a
// commit message or a pull request goes through quotedPath (Markdown then escapes or code-spans it).

/** Letters, digits, marks and `._+,=@~/-`: printed as they are, and fit for an annotation's `file`. */
const PLAIN = /^[\p{L}\p{M}\p{N}._+,=@~/-]+$/u

/** Characters a quoted path shows as they are: printable, not a quote or a backslash. */
const SHOWN = /^[^\p{C}\p{Z}"\\]$/u

const NAMED: Record<string, string> = {
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '"': '"',
  '\\': '\\'
}

/** A path that can be printed and linked as it is. */
export function isPlainPath(path: string): boolean {
  return PLAIN.test(path)
}

/**
 * The path as it may be printed: a plain one as it is, any other in double quotes with C-style
 * escapes, as git quotes paths (`"deps\n::error::x\n.nix"`): \a \b \t \n \v \f \r \" \\, and the
 * UTF-8 bytes of any other control, format or separator character in octal (ESC is \033). A quoted
 * path is one line that starts with `"`, so it cannot start a workflow command; a `#` before another
 * `#` is written \043, so it holds no `##[` (a command anywhere in a line). git apply reads the form.
 */
export function quotedPath(path: string): string {
  if (isPlainPath(path)) return path
  let out = ''
  const chars = [...path]
  chars.forEach((c, i) => {
    if (NAMED[c] !== undefined) out += `\\${NAMED[c]}`
    else if ((c === ' ' || SHOWN.test(c)) && !(c === '#' && chars[i + 1] === '#')) out += c
    else out += [...Buffer.from(c, 'utf8')].map(b => `\\${b.toString(8).padStart(3, '0')}`).join('')
  })
  return `"${out}"`
}

/** `file:line` (and `:column`) for a message, the file quoted when it is not plain. */
export function pathAt(file: string, line?: number, column?: number): string {
  return `${quotedPath(file)}${line !== undefined ? `:${line}` : ''}${column !== undefined ? `:${column}` : ''}`
}
