// The regex literals of source files, and long lines built to make a backtracking regex engine
// work hard: for __tests__/security/log-regexes-are-linear.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

export interface FoundRegex {
  /** `file:line /literal/flags`, for the test's name. */
  where: string
  regex: RegExp
}

/** The .ts files at `path` (a file, or a folder searched recursively), relative to `root`. */
export function sourceFiles(root: string, path: string): string[] {
  const full = join(root, path)
  if (!statSync(full).isDirectory()) return [full]
  return readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter(name => name.endsWith('.ts'))
    .map(name => join(full, name))
}

/** Every regex literal of a file, compiled as the module compiles it. */
export function regexLiterals(root: string, file: string): FoundRegex[] {
  const text = readFileSync(file, 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: FoundRegex[] = []
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(source)
      const end = literal.lastIndexOf('/')
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
      found.push({
        where: `${relative(root, file)}:${line + 1} ${literal}`,
        regex: new RegExp(literal.slice(1, end), literal.slice(end + 1))
      })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/**
 * The literal runs of a pattern (`NAR hash mismatch in input '`, `, expected '`, ` (`...), in
 * order, read from its source: escapes resolved, a character class stood for by one character it
 * matches. Quantifiers, groups, alternatives and anchors end a run.
 */
export function fragments(regex: RegExp): string[] {
  const out: string[] = []
  let current = ''
  const flush = (): void => {
    if (current) out.push(current)
    current = ''
  }
  const src = regex.source
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === '\\') {
      const [text, skip] = escapeText(src, i + 1)
      if (text === undefined) flush()
      else current += text
      i += skip
    } else if (c === '[') {
      let j = i + 1
      const negated = src[j] === '^'
      if (negated) j++
      const member = src[j] === '\\' ? (escapeText(src, j + 1)[0] ?? 'a') : src[j]
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1
      // A negated class lets a letter through (or, when it refuses letters, a space).
      current += negated ? (/[a-z]/i.test(src.slice(i, j)) ? ' ' : 'a') : member
      i = j
    } else if (c === '(') {
      flush()
      if (src[i + 1] === '?') i += src[i + 2] === '<' && !'=!'.includes(src[i + 3]) ? src.indexOf('>', i) - i : 2
    } else if (c === '{') {
      flush()
      i = src.indexOf('}', i)
    } else if (')|*+?^$.'.includes(c)) {
      flush()
    } else current += c
  }
  flush()
  return out
}

/** The text an escape at `src[at]` matches (one example), and how many more characters it spans. */
function escapeText(src: string, at: number): [string | undefined, number] {
  const c = src[at] ?? ''
  if (c === 'd') return ['0', 1]
  if (c === 'w') return ['a', 1]
  if (c === 's') return [' ', 1]
  if (c === 'n') return ['\n', 1]
  if (c === 'r') return ['\r', 1]
  if (c === 't') return ['\t', 1]
  if (c === 'x') return [String.fromCharCode(parseInt(src.slice(at + 1, at + 3), 16)), 3]
  if (c === 'u') return [String.fromCharCode(parseInt(src.slice(at + 1, at + 5), 16)), 5]
  if (/[DWSbB]/.test(c)) return [undefined, 1]
  return [c, 1]
}

/**
 * Lines of `length` characters to try a regex on: a prefix that gets the pattern going (its first
 * literal runs, chained), then one unit repeated (one run, two adjacent runs, or a single character
 * that quantifiers like to eat), ended by a control character nothing expects, so a match that
 * needs the end of the line fails only at the last moment.
 */
export function adversarialLines(regex: RegExp, length: number): string[] {
  const parts = fragments(regex)
  const prefixes = new Set([''])
  let chain = ''
  for (const part of parts) prefixes.add((chain += part))
  const units = new Set([' ', 'a', '0', "'", ':', '/', '-', '\t', '"', '.', '\u001b['])
  parts.forEach((part, i) => {
    units.add(part)
    if (i + 1 < parts.length) units.add(part + parts[i + 1])
  })
  const lines: string[] = []
  for (const prefix of prefixes) {
    for (const unit of units) {
      const body = prefix + unit.repeat(Math.ceil(Math.max(0, length - prefix.length) / unit.length))
      lines.push(body.slice(0, length) + '\u0001')
    }
  }
  return lines
}

/** How long the regex takes on one line, the way the code uses it (`g`: every match, else the first). */
export function timeOn(regex: RegExp, line: string): number {
  const fresh = new RegExp(regex.source, regex.flags)
  const start = performance.now()
  if (fresh.global) line.replace(fresh, '')
  else fresh.exec(line)
  return performance.now() - start
}
