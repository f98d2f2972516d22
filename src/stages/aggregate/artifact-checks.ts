// What the aggregate job demands of a matrix artifact's text before it reads any of it. Artifacts
// come from other jobs, and any step holding ACTIONS_RUNTIME_TOKEN can upload one: so no text may
// carry a control character (a newline would start a workflow command in the log, an escape
// would drive a terminal), and a hash fix must be a hash for a hash, nothing else.
import { fakeExpressionAlgo, isZeroDigest, tryParseHash } from '../../hashes/codec.js'
import type { HashFix } from '../fix-hashes/types.js'

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
/** The same, but a newline and a tab: Nix's error messages and the stage's own span lines. */
// eslint-disable-next-line no-control-regex
const CONTROL_IN_PROSE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/

/** The fields that hold prose of several lines: a build's error, a hash problem's message. */
const PROSE = [/^build\.error$/, /^hashes\.problems\.\d+\.message$/]

/** Prose as an honest job writes it: control characters (an ANSI colour in Nix's words) spelled out, newlines kept. */
export function proseForArtifact(text: string): string {
  return text.replace(new RegExp(CONTROL_IN_PROSE.source, 'g'), c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Where the first control character is (`build.builtOn`), or undefined when there is none. */
export function controlCharacterAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') {
    const forbidden = PROSE.some(p => p.test(path)) ? CONTROL_IN_PROSE : CONTROL
    return forbidden.test(value) ? path || 'the file' : undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, child] of Object.entries(value)) {
    const at = `${path ? `${path}.` : ''}${key}`
    if (CONTROL.test(key)) return at
    const found = controlCharacterAt(child, at)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * Why this fix is not a hash fix, or undefined when it is: `new` a real hash (no placeholder),
 * `old` a hash of the same algorithm or a placeholder for one (`""`, `lib.fakeHash`), at a place.
 * Whether `old` really stands there is for the locator, against the checkout (apply-fixes.ts).
 */
export function hashFixProblem(fix: HashFix): string | undefined {
  if (!Number.isInteger(fix.line) || fix.line < 1 || !Number.isInteger(fix.column) || fix.column < 1)
    return 'its line and column must be positive whole numbers'
  const next = tryParseHash(fix.new)
  if (next === undefined || isZeroDigest(next.digest)) return 'old and new must be hashes of one algorithm (new is not a hash)'
  const oldAlgo = fix.old === '' ? next.algo : (fakeExpressionAlgo(fix.old) ?? tryParseHash(fix.old)?.algo)
  if (oldAlgo !== next.algo) return `old and new must be hashes of one algorithm (old is not a ${next.algo} hash)`
  return undefined
}
