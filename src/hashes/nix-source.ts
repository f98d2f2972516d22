// Just enough of the Nix language to find where a hash stands: which text is comment, which braces
// enclose an offset, and the literal `name`/`pname`/`version`/`url` bindings of those attrsets.
// Not a parser: it is used to attribute a hash to a derivation, and every doubt it leaves is
// reported as ambiguous rather than guessed.
//
// Works on a latin1 view of the file's bytes, so string offsets are byte offsets.

export interface BraceRange {
  open: number
  close: number
  /** `${ … }` inside a string, not an attrset or let block. */
  interpolation: boolean
}

export interface NixSourceMap {
  /** The text with comments blanked to spaces (same length, newlines kept). */
  masked: string
  braces: BraceRange[]
}

type Frame = { kind: 'brace' | 'interp'; pos: number } | { kind: 'dq' | 'ind'; pos: number }

/** The scan's state: the text, its copy being masked, the braces closed so far, what is open. */
interface Scan {
  text: string
  chars: string[]
  braces: BraceRange[]
  stack: Frame[]
}

export function scanNixSource(text: string): NixSourceMap {
  const scan: Scan = { text, chars: text.split(''), braces: [], stack: [] }
  let i = 0
  while (i < text.length) {
    const mode = scan.stack[scan.stack.length - 1]?.kind ?? 'code'
    i = mode === 'dq' ? stepInString(scan, i) : mode === 'ind' ? stepInIndentedString(scan, i) : stepInCode(scan, i)
  }
  return { masked: scan.chars.join(''), braces: scan.braces }
}

/** Inside "…": escapes are skipped, `${` opens an interpolation, `"` closes. Returns the next offset. */
function stepInString(scan: Scan, i: number): number {
  const { text, stack } = scan
  const c = text[i]
  if (c === '\\') return i + 2
  if (c === '$' && text[i + 1] === '{') {
    stack.push({ kind: 'interp', pos: i + 1 })
    return i + 2
  }
  if (c === '"') stack.pop()
  return i + 1
}

/** Inside ''…'': `''$`, `'''` and `''\` with the next character are escapes, `''` closes, `${` opens an interpolation. */
function stepInIndentedString(scan: Scan, i: number): number {
  const { text, stack } = scan
  const c = text[i]
  if (c === "'" && text[i + 1] === "'") {
    const next = text[i + 2]
    if (next === '$' || next === "'") return i + 3
    if (next === '\\') return i + 4
    stack.pop()
    return i + 2
  }
  if (c === '$' && text[i + 1] === '{') {
    stack.push({ kind: 'interp', pos: i + 1 })
    return i + 2
  }
  return i + 1
}

/** Code (top level, inside braces, or inside an interpolation): comments are blanked, strings and braces open. */
function stepInCode(scan: Scan, i: number): number {
  const { text, stack } = scan
  const c = text[i]
  if (c === '#') return blankUntil(scan, i, text.indexOf('\n', i), 0)
  if (c === '/' && text[i + 1] === '*') return blankUntil(scan, i, text.indexOf('*/', i + 2), 2)
  if (c === '"') {
    stack.push({ kind: 'dq', pos: i })
    return i + 1
  }
  if (c === "'" && text[i + 1] === "'") {
    stack.push({ kind: 'ind', pos: i })
    return i + 2
  }
  if (c === '{') stack.push({ kind: 'brace', pos: i })
  else if (c === '}') closeBrace(scan, i)
  return i + 1
}

/** Blanks a comment from `from` to its end marker at `end` (plus `markerLength`), or to the end of the text. */
function blankUntil(scan: Scan, from: number, end: number, markerLength: number): number {
  const stop = end === -1 ? scan.text.length : end + markerLength
  for (let k = from; k < stop; k++) if (scan.chars[k] !== '\n') scan.chars[k] = ' '
  return stop
}

/** A `}` closes the innermost brace or interpolation; a stray one (inside nothing) is ignored. */
function closeBrace(scan: Scan, i: number): void {
  const top = scan.stack[scan.stack.length - 1]
  if (top && (top.kind === 'brace' || top.kind === 'interp')) {
    scan.stack.pop()
    scan.braces.push({ open: top.pos, close: i, interpolation: top.kind === 'interp' })
  }
}

/** Attrsets (not interpolations) around `offset`, innermost first. */
export function enclosingAttrsets(map: NixSourceMap, offset: number): BraceRange[] {
  return map.braces.filter(b => !b.interpolation && b.open < offset && offset < b.close).sort((a, b) => b.open - a.open)
}

export interface Binding {
  name: string
  /** The string's content as written (may hold `${…}`). */
  value: string
  offset: number
}

/**
 * String-valued bindings directly inside an attrset (not in attrsets nested in it), from the
 * comment-masked text.
 */
export function directStringBindings(map: NixSourceMap, set: BraceRange): Binding[] {
  const nested = map.braces.filter(b => !b.interpolation && b.open > set.open && b.close < set.close)
  const isNested = (pos: number): boolean => nested.some(b => b.open < pos && pos < b.close)
  const body = map.masked.slice(set.open + 1, set.close)
  const out: Binding[] = []
  const re = /(?:^|[;{\s])([A-Za-z_][\w'-]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*;/g
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const offset = set.open + 1 + m.index
    if (!isNested(offset + m[0].indexOf(m[1]))) out.push({ name: m[1], value: m[2], offset })
  }
  return out
}

/** The text just before an attrset's `{`, to see what it is an argument of (`fetchFromGitHub {`). */
export function calleeBefore(map: NixSourceMap, set: BraceRange): string | undefined {
  const before = map.masked.slice(Math.max(0, set.open - 120), set.open)
  // Starts only where a name begins: from every character of a long name the rest would be scanned again.
  return /(?<![\w'.-])([A-Za-z_][\w'.-]*)\s*(?:\(\s*)?$/.exec(before)?.[1]
}

/**
 * A Nix string as a matcher: literal text must match, `${x}` matches what `resolve(x)` gives,
 * or any non-empty text when it cannot be resolved. `literalChars` counts letters and digits that
 * must match exactly, so that `"${pname}-${version}"` alone is known to prove little.
 */
export function templateMatcher(
  template: string,
  resolve: (expression: string) => string | undefined
): { regex: RegExp; literalChars: number } {
  let source = ''
  let literal = ''
  let rest = template
  for (;;) {
    const start = rest.indexOf('${')
    if (start === -1) break
    const end = rest.indexOf('}', start)
    if (end === -1) break
    literal += rest.slice(0, start)
    source += escapeRegex(rest.slice(0, start))
    const value = resolve(rest.slice(start + 2, end).trim())
    if (value !== undefined) {
      literal += value
      source += escapeRegex(value)
    } else {
      source += '.+'
    }
    rest = rest.slice(end + 1)
  }
  literal += rest
  source += escapeRegex(rest)
  return { regex: new RegExp(`^${source}$`), literalChars: (literal.match(/[A-Za-z0-9]/g) ?? []).length }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** builtins.parseDrvName: the version starts at the first dash not followed by a letter. */
export function parseDrvName(name: string): { pname: string; version: string } {
  for (let i = 0; i < name.length - 1; i++) {
    if (name[i] === '-' && !/[A-Za-z]/.test(name[i + 1])) return { pname: name.slice(0, i), version: name.slice(i + 1) }
  }
  return { pname: name, version: '' }
}

/** `/nix/store/<hash>-hello-2.12.drv` -> `hello-2.12`; an output path keeps its whole name. */
export function derivationName(storePath: string): string {
  const base = storePath.slice(storePath.lastIndexOf('/') + 1)
  const name = base.replace(/^[0-9a-z]{32}-/, '')
  return name.endsWith('.drv') ? name.slice(0, -4) : name
}
