// Nix's own wording for the errors the stages act on, in every supported version. Callers pass
// the stderr lines of one nix call; they get Nix's sentence back, never a guess.

/**
 * Nix refusing a derivation for its system or features:
 * - 2.8-2.2x, Lix: `error: a 'aarch64-linux' with features {} is required to build '…drv', but I am a 'x86_64-linux' with features {…}`
 * - 2.3x: `error: Cannot build '…drv'.` then `Reason: platform mismatch` (or `missing system
 *   features`, or `required system or feature not available`) and `Required …` / `Current …` lines.
 * Returns the refusal as one line, or undefined when these lines hold none.
 */
export function platformRefusal(lines: string[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (/is required to build '.*', but I am a/.test(line)) return line
    if (/^(error: )?Cannot build '[^']*\.drv'\.$/.test(line)) {
      const reason = /^Reason: (platform mismatch|missing system features|required system or feature not available)$/.exec((lines[i + 1] ?? '').trim())
      if (!reason) continue
      const details = lines.slice(i + 2, i + 4).map(l => l.trim()).filter(l => /^(Required|Current|Available) /.test(l))
      return [line, `Reason: ${reason[1]}`, ...details].join(' ')
    }
  }
  return undefined
}
