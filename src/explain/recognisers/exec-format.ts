// "Exec format error": the kernel was asked to run a binary for another CPU and no binfmt_misc
// handler took it. Nix 2.8 never says so in its own words: the sandbox child's serialised error
// lands in the builder's log ("executing '…/busybox': Exec format error", NUL bytes and all), and
// newer setups show a shell's "cannot execute binary file: Exec format error". So this reads
// builder output too. It only ever yields advice; in a live run a builder's claim counts only
// for a derivation that Nix itself reported as failed (see `confirmedBy`).
import { ExecFormatError, LineRecogniser, MAX_FINDINGS, Origin } from '../types.js'

const QUOTED = /[`'‘]([^'’`]+)['’]: (?:cannot execute binary file: )?Exec format error/
const BARE = /(?:^|\s)([^\s:'"`]+): (?:cannot execute binary file: )?Exec format error/

interface Candidate extends ExecFormatError {
  /** The derivation whose builder printed it; undefined when Nix printed it. */
  drv?: string
  fromBuilder: boolean
}

export class ExecFormatRecogniser implements LineRecogniser {
  private readonly candidates: Candidate[] = []
  truncated = false

  push(text: string, origin: Origin): void {
    if (!text.includes('Exec format error')) return
    // eslint-disable-next-line no-control-regex
    const clean = text.replace(/\u0000/g, ' ')
    const m = QUOTED.exec(clean) ?? BARE.exec(clean)
    if (!m) return
    if (this.candidates.some(c => c.executable === m[1])) return
    if (this.candidates.length >= MAX_FINDINGS) {
      this.truncated = true
      return
    }
    this.candidates.push({
      executable: m[1],
      fromBuilder: origin.from === 'builder',
      ...(origin.from === 'builder' && origin.drv ? { drv: origin.drv } : {})
    })
  }

  /** Every candidate (saved logs), or only those a failed build of Nix's own report backs (live runs). */
  finish(confirmedBy?: ReadonlySet<string>): ExecFormatError[] {
    return this.candidates
      .filter(c => confirmedBy === undefined || !c.fromBuilder || (c.drv !== undefined && confirmedBy.has(c.drv)))
      .map(c => ({ executable: c.executable }))
  }
}
