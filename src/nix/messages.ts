// Nix's own wording for the errors the stages act on, in every supported version. Callers pass
// the stderr lines of one nix call; they get Nix's sentence back, never a guess.

/**
 * Nix refusing a derivation for its system or features:
 * - 2.8-2.2x, Lix: `error: a 'aarch64-linux' with features {} is required to build '…drv', but I am a 'x86_64-linux' with features {…}`
 * - 2.3x: `error: Cannot build '…drv'.` then `Reason: platform mismatch` (or `missing system
 *   features`, or `required system or feature not available`) and `Required …` / `Current …` lines;
 *   from a remote builder behind `error: build of '…drv' on 'ssh-ng://…' failed: `.
 * Returns the refusal as one line, or undefined when these lines hold none.
 */
export function platformRefusal(lines: string[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (isPlatformRefusalLine(line)) return line
    // A remote builder's refusal comes back as `error: build of '…drv' on 'ssh-ng://…' failed: Cannot build '…drv'.`
    if (/^(error: )?(build of '[^']*\.drv' on '[^']*' failed: )?Cannot build '[^']*\.drv'\.$/.test(line)) {
      const reason = /^Reason: (platform mismatch|missing system features|required system or feature not available)$/.exec(
        (lines[i + 1] ?? '').trim()
      )
      if (!reason) continue
      const details = lines
        .slice(i + 2, i + 4)
        .map(l => l.trim())
        .filter(l => /^(Required|Current|Available) /.test(l))
      return [line, `Reason: ${reason[1]}`, ...details].join(' ')
    }
  }
  return undefined
}

/** "is required to build '…', but I am a", found with indexOf (a `.*` regex rescans the line from each start). */
function isPlatformRefusalLine(line: string): boolean {
  const start = "is required to build '"
  const at = line.indexOf(start)
  return at >= 0 && line.indexOf("', but I am a", at + start.length) >= 0
}

/** The message of a `builtins.trace` line (`trace: <message>` on 2.8-2.34 and Lix), or undefined. */
export function traceMessage(line: string): string | undefined {
  return /^trace: (.*)$/.exec(line)?.[1]
}

export interface EvaluationFailure {
  /** Nix's error message, on one line per line it gave (the code excerpts left out). */
  message: string
  /** `file:line:column` of the innermost frame in the flake's own files, as Nix gave it. */
  position?: string
}

const AT = /^\s*at (.+):(\d+):(\d+):?$/
const EXCERPT = /^\s*(\d+\||\|)/

/**
 * An evaluation error of one `nix eval --show-trace` call (stderr lines, ANSI stripped):
 * - 2.8-2.1x, Lix: `error: <message>` first (its own `at` line right after when it has a
 *   position), then the trace, innermost frame first (`… while evaluating …` + `at …`).
 * - 2.2x-2.3x: `error:` alone, the trace outermost frame first, then the message as an indented
 *   `error: <message>` line at the end (with its `at` line when it has a position).
 * Frames in «string» (the --apply expression) or «nix-internal» are not the flake's.
 */
export function evaluationFailure(lines: string[]): EvaluationFailure | undefined {
  const errorLines = lines.map((l, i) => ({ i, m: /^\s*error: ?(.*)$/.exec(l) })).filter(e => e.m !== null)
  const last = [...errorLines].reverse().find(e => (e.m as RegExpExecArray)[1].trim() !== '')
  if (!last) return undefined
  const messageLines = [(last.m as RegExpExecArray)[1].trim()]
  let j = last.i + 1
  // A message may continue on further lines (2.8's "Did you mean …?"), up to a frame or excerpt.
  for (; j < lines.length; j++) {
    const text = lines[j].trim()
    if (text === '') continue
    if (AT.test(lines[j]) || EXCERPT.test(lines[j]) || text.startsWith('…') || text.startsWith('(use ')) break
    messageLines.push(text)
  }
  const isOwn = (file: string): boolean => !file.startsWith('«')
  const own = lines.map((l, i) => ({ i, m: AT.exec(l) })).filter(a => a.m !== null && isOwn((a.m as RegExpExecArray)[1]))
  const format = (m: RegExpExecArray): string => `${m[1]}:${m[2]}:${m[3]}`
  // The error's own position: the first `at` after the message, before any further frame.
  const after = lines.slice(last.i + 1).findIndex(l => AT.test(l) || l.trim().startsWith('…'))
  const ownAt = after >= 0 ? AT.exec(lines[last.i + 1 + after]) : null
  let position: string | undefined
  if (ownAt && isOwn(ownAt[1])) position = format(ownAt)
  else {
    // Otherwise the innermost frame in the flake: before the message on 2.2x+, after it on 2.8.
    const before = own.filter(a => a.i < last.i)
    const later = own.filter(a => a.i > last.i)
    const frame = before.length > 0 && last.i > 0 && errorLines[0].i < last.i ? before[before.length - 1] : later[0]
    if (frame) position = format(frame.m as RegExpExecArray)
  }
  return { message: messageLines.join('\n'), ...(position !== undefined ? { position } : {}) }
}
