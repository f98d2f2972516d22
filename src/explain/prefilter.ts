// The classifier's cheap tests per line, before any recogniser runs. Nearly every line of a
// build log is a builder's chatter that no recogniser reads; what they do read always carries one
// of a few characters: Nix quotes every path and name it reports (' or Nix 1.x's ‘ and `…'), and
// every message with a body is "key: value" (error:, specified:, Reason:, subtest:, qemu: …). The
// VM test driver's colon-less lines ("!!! …", "test script finished") come after lines that have
// one, and from then on the classifier hands the recogniser every line anyway.
// Stage 1, those characters, rejects most lines at memory speed; the bare crash lines of a shell
// ("Segmentation fault (core dumped)") have none of them, so their endings are tested too. A
// compiler's output is full of them (`path:line:col:`, quoted names), so a builder's line that
// passes goes on to stage 2, the few words the readers of builder output start from
// (builderMayMatter); Nix's own lines go on to INTERESTING, every recogniser's words.
// Multi-character startsWith/endsWith/lastIndexOf and needles cost several times a single-character
// indexOf on a line that is a slice of a bigger string (every line the bench feeds), so the tests
// here keep to those and to a few character reads.

/** Stage 1: could any recogniser want this line (or this builder output, JSON-escaped)? */
export function mayMatter(text: string, from = 0, to = text.length): boolean {
  return (
    within(text.indexOf(':', from), to) ||
    within(text.indexOf("'", from), to) ||
    within(text.indexOf('‘', from), to) ||
    endsLikeCrash(text, to)
  )
}

function within(at: number, to: number): boolean {
  return at !== -1 && at < to
}

function endsLikeCrash(text: string, to: number): boolean {
  if (to !== text.length) return false
  // The last two characters first: "d)" of "(core dumped)", "lt" of "fault", "on" of
  // "instruction", "or" of "Bus error"; a builder's line rarely ends so.
  const pair = text.charCodeAt(to - 2) * 65536 + text.charCodeAt(to - 1)
  if (pair !== D_PAREN && pair !== L_T && pair !== O_N && pair !== O_R) return false
  return (
    text.endsWith('(core dumped)') ||
    text.endsWith('Segmentation fault') ||
    text.endsWith('Illegal instruction') ||
    text.endsWith('Bus error')
  )
}

const code = (two: string): number => two.charCodeAt(0) * 65536 + two.charCodeAt(1)
const D_PAREN = code('d)')
const L_T = code('lt')
const O_N = code('on')
const O_R = code('or')

/**
 * Stage 2, for lines stage 1 let through: the words some recogniser starts from. Multi-line
 * blocks go on in lines that match too (Reason:, Required system:, specified:, got: …), a pasted
 * report asks for every line while it is open, and VM test output is fed whole once seen.
 */
export const INTERESTING =
  /failed|Cannot build|Reason: |Required system|Current system|is required to build|Exec format error|hash|mismatch|instead has|was expected|specified:|wanted:|likely URL:|copying path|building '|build of |must succeed|must fail|waiting for|starting vm|QEMU running|subtest: |!!! |test script finished|run the VM test script|Machine state will be reset|Test will time out|kvm|KVM|qemu: |Segmentation fault|Illegal instruction|Bus error|terminated abnormally|segfault at|\bmix |\belixirc?\b|\biex\b|\berlc?\b|\bescript\b|\brebar3\b|beam\.smp/

/**
 * A `nix build -L` builder line (`name> text`, the prefix BUILDER_PREFIX reads) from `from`: where
 * its text starts, or -1.
 */
export function builderTextStart(line: string, from: number): number {
  let i = from
  for (let c = line.charCodeAt(i); c < 128 && NAME_CHAR[c] === 1; c = line.charCodeAt(++i));
  if (i === from || line.charCodeAt(i) !== 62) return -1
  return line.charCodeAt(i + 1) === 32 ? i + 2 : i + 1
}

/** [A-Za-z0-9+\-._?=]: the characters of a derivation's name. */
const NAME_CHAR = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-._?=') NAME_CHAR[c.charCodeAt(0)] = 1

/**
 * Stage 2 for a builder's line that stage 1 let through: builder output that is full of `path:line:`
 * and quotes (a compiler's) has none of these. Only four readers take a builder's words, and the
 * tests below are a superset of what each starts from: the MismatchParser (a report a builder
 * printed: "mismatch" anywhere, which also keeps the classifier's parser window honest, and Nix
 * 1.x/2.0's " instead"), the Exec format error, the VM test driver (its lines, QEMU's KVM errors:
 * "KVM", " kvm", "/dev/kvm") and the BEAM crash recogniser (the signals, "qemu: ", " segfault at",
 * "terminated abnormally", and the BEAM's commands, which BEAM_COMMAND only takes after a space,
 * a slash, a quote or the line's start, here the prefix's `>`). Every alternative but the last
 * starts with a rare character or one of those, which keeps the expression cheap where it fails.
 */
const BUILDER_WORDS =
  /[\s/"'`>](?:mix |elixir|iex|erl|escript|rebar3|beam\.smp|kvm|segfault|abnormally|instead)|Segmentation fault|Illegal instruction|Bus error|Exec format error|KVM|qemu: /g
/** The VM test driver's lines that start with their own words (DRIVER_LINE in recognisers/vm-tests.ts). */
const DRIVER_START = /subtest: |!!! |Test |test script finished|run the VM test script|Machine state will be reset/y
/** What DRIVER_LINE's `<machine>: ` is followed by. */
const DRIVER_VERB = /must succeed: |must fail: |waiting for |starting vm|QEMU running/y

export function builderMayMatter(line: string, text: number): boolean {
  if (line.includes('mismatch', text)) return true
  // From the prefix's last character (`>` or the space after it), which stands for the line's start.
  BUILDER_WORDS.lastIndex = text - 1
  if (BUILDER_WORDS.test(line)) return true
  const first = line.charCodeAt(text)
  if (first === 115 || first === 33 || first === 84 || first === 116 || first === 114 || first === 77) {
    DRIVER_START.lastIndex = text
    if (DRIVER_START.test(line)) return true
  }
  // `<machine>: must succeed: …`: a machine's name ([A-Za-z0-9_.-]+), then a verb.
  let i = text
  for (let c = line.charCodeAt(i); c < 128 && MACHINE_CHAR[c] === 1; c = line.charCodeAt(++i));
  if (i === text || line.charCodeAt(i) !== 58 || line.charCodeAt(i + 1) !== 32) return false
  DRIVER_VERB.lastIndex = i + 2
  return DRIVER_VERB.test(line)
}

const MACHINE_CHAR = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-') MACHINE_CHAR[c.charCodeAt(0)] = 1

/**
 * `building '` from `from`: Nix announcing a build (a builder's prefix never has the space).
 * startsWith() with a position costs more than the whole first prefilter, so: two characters, then
 * indexOf, which finds it at `from` or scans on only for a line that has both.
 */
export function isAnnouncement(line: string, from: number): boolean {
  return line.charCodeAt(from + 8) === 32 && line.charCodeAt(from + 9) === 39 && line.indexOf(BUILDING_HEAD, from) === from
}

/** Nix's `building '…drv'…` from `from` (BUILDING in classifier.ts): the derivation, or undefined. */
export function announcedDrv(line: string, from: number): string | undefined {
  if (!isAnnouncement(line, from)) return undefined
  const open = from + BUILDING_HEAD.length
  const close = line.indexOf("'", open)
  // `.drv'`, by character for the same reason.
  if (
    close - open < 5 ||
    line.charCodeAt(close - 4) !== 46 ||
    line.charCodeAt(close - 3) !== 100 ||
    line.charCodeAt(close - 2) !== 114 ||
    line.charCodeAt(close - 1) !== 118
  ) {
    return undefined
  }
  return line.slice(open, close)
}

const BUILDING_HEAD = "building '"

/** `@nix ` first, told by character: startsWith() or indexOf() with a needle cost more than five of them. */
export function isNixJson(line: string): boolean {
  return (
    line.charCodeAt(0) === 64 &&
    line.charCodeAt(1) === 110 &&
    line.charCodeAt(2) === 105 &&
    line.charCodeAt(3) === 120 &&
    line.charCodeAt(4) === 32
  )
}

/** `@nix {"action":"result","fields":[` : Nix writes its JSON with sorted keys, so a result starts so. */
export const RESULT_HEAD = '@nix {"action":"result","fields":['
const ID_KEY = '"],"id":'

/** A builder output line (result 101/107) in Nix's layout: where its text ends, or -1. */
export function builderTextEnd(line: string): number {
  // Read from the end: `"],"id":<digits>,"type":10[17]}`.
  const type = line.length - TYPE_TAIL.length
  const kind = line.charCodeAt(line.length - 2)
  if (type < RESULT_HEAD.length || line.charCodeAt(line.length - 1) !== 125 || (kind !== 49 && kind !== 55)) return -1
  if (
    line.charCodeAt(type) !== 44 ||
    line.charCodeAt(type + 7) !== 58 ||
    line.charCodeAt(type + 8) !== 49 ||
    line.charCodeAt(type + 9) !== 48
  )
    return -1
  let i = type - 1
  while (i > 0 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i--
  if (
    i === type - 1 ||
    line.charCodeAt(i) !== 58 ||
    line.charCodeAt(i - 1) !== 34 ||
    line.charCodeAt(i - 2) !== 100 ||
    line.charCodeAt(i - 5) !== 44 ||
    line.charCodeAt(i - 6) !== 93 ||
    line.charCodeAt(i - 7) !== 34
  )
    return -1
  return i - 7
}

const TYPE_TAIL = ',"type":101}'

/**
 * A result event whose text stage 1 would reject, told without finding where the text ends
 * (builderTextEnd's twenty character reads): no quote after the head, and its first colon is the
 * one of `"],"id":`. In Nix's JSON a string cannot hold that unescaped, so a colon of the text
 * would have come first. A line that is no builder output is rejected too, as builderTextEnd does.
 */
export function resultTextIsPlain(line: string): boolean {
  if (line.indexOf("'", RESULT_HEAD.length) !== -1 || line.indexOf('‘', RESULT_HEAD.length) !== -1) return false
  const colon = line.indexOf(':', RESULT_HEAD.length)
  return (
    colon === -1 ||
    (line.charCodeAt(colon - 1) === 34 &&
      line.charCodeAt(colon - 2) === 100 &&
      line.charCodeAt(colon - 3) === 105 &&
      line.charCodeAt(colon - 4) === 34 &&
      line.charCodeAt(colon - 5) === 44 &&
      line.charCodeAt(colon - 6) === 93 &&
      line.charCodeAt(colon - 7) === 34)
  )
}

/** The activity of such a line. */
export function activityId(line: string, end: number): number {
  return Number(line.slice(end + ID_KEY.length, line.length - ',"type":101}'.length))
}

/**
 * The action of an `@nix {"action":"…"` line in Nix's layout, from a few characters (startsWith
 * with a long prefix costs more than the whole prefilter): 'progress' for a result whose fields
 * are numbers, undefined for anything else.
 */
export function nixLayoutAction(line: string): 'result' | 'progress' | 'start' | 'stop' | undefined {
  if (line.charCodeAt(5) !== 123 || line.charCodeAt(7) !== 97 || line.charCodeAt(15) !== 34) return undefined
  const a = line.charCodeAt(16)
  if (a === 114) {
    if (line.charCodeAt(RESULT_HEAD.length - 1) !== 91 || line.charCodeAt(RESULT_HEAD.length - 9) !== 102) return undefined
    return line.charCodeAt(RESULT_HEAD.length) === 34 ? 'result' : 'progress'
  }
  if (a !== 115 || line.charCodeAt(17) !== 116) return undefined
  const c = line.charCodeAt(18)
  if (c === 111 && line.charCodeAt(20) === 34) return 'stop'
  if (c === 97 && line.charCodeAt(START_HEAD.length - 1) === 91) return 'start'
  return undefined
}

export const START_HEAD = '@nix {"action":"start","fields":['

/**
 * A start event in Nix's layout, read without a JSON parser (one per build or copy; a big build
 * has thousands): its id and first two string fields. Undefined for anything else, or escapes,
 * which the caller then parses in full.
 */
export function startEvent(line: string): { id: number; fields: string[] } | undefined {
  if (line.charCodeAt(START_HEAD.length - 1) !== 91) return undefined
  const fields: string[] = []
  let at = START_HEAD.length
  while (fields.length < 2 && line.charCodeAt(at) === 34) {
    const close = line.indexOf('"', at + 1)
    if (close === -1) return undefined
    const text = line.slice(at + 1, close)
    if (text.includes('\\')) return undefined
    fields.push(text)
    at = close + 1
    if (line.charCodeAt(at) !== 44) break
    at++
  }
  const idAt = line.indexOf('],"id":', at)
  if (idAt === -1) return undefined
  const comma = line.indexOf(',', idAt + 7)
  const end = comma === -1 ? line.length : comma
  const id = digitsAt(line, idAt + 7, end) ?? Number(line.slice(idAt + 7, end))
  return Number.isSafeInteger(id) ? { id, fields } : undefined
}

/** line[from, to) read as a decimal number when it is 1 to 15 digits (Nix's ids), else undefined: Number() on a slice costs more. */
function digitsAt(line: string, from: number, to: number): number | undefined {
  if (to <= from || to - from > 15) return undefined
  let n = 0
  for (let i = from; i < to; i++) {
    const c = line.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    n = n * 10 + (c - 48)
  }
  return n
}
