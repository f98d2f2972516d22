// Derivations whose own build failed, as Nix says it (never inferred from builder output):
//   "builder for '…' failed with exit code N" (Nix 1.x with ‘’ quotes to 2.2x; also "failed due
//   to signal"), possibly behind a remote build's "build of '…' on '…' failed: ";
//   newer Nix: "Cannot build '…'." then "Reason: builder failed with exit code N.".
// "N dependencies … failed" and "Reason: 1 dependency failed." are consequences, not causes; a
// platform refusal ("Reason: required system or feature not available") is PlatformRecogniser's.
import { FailedBuild, LineRecogniser, MAX_FINDINGS, Origin, drvName } from '../types.js'

const BUILDER_FAILED =
  /^\s*(?:error:\s*)?(?:build of '[^']+' on '[^']+' failed: )?builder for [`'‘]([^'’]+)['’] failed(?: with exit code (\d+))?/
const CANNOT_BUILD = /Cannot build '([^']+)'\.(.*)$/
const REASON = /^\s*Reason: (.*)$/

export class FailedBuildRecogniser implements LineRecogniser {
  private readonly found = new Map<string, FailedBuild>()
  truncated = false
  /** The derivation whose failure Nix is describing: its quoted log lines (`> …`) are its builder's. */
  lastFailing?: string
  private pending?: string

  push(text: string, origin: Origin): void {
    if (origin.from !== 'nix') return
    let m: RegExpExecArray | null
    if (this.pending !== undefined) {
      const drv = this.pending
      this.pending = undefined
      if ((m = REASON.exec(text))) return this.onReason(drv, m[1])
      this.add({ derivation: drv })
    }
    if ((m = BUILDER_FAILED.exec(text))) {
      this.lastFailing = m[1]
      this.add({ derivation: m[1], ...(m[2] !== undefined ? { exitCode: Number(m[2]) } : {}) })
      return
    }
    if ((m = CANNOT_BUILD.exec(text))) {
      this.lastFailing = m[1]
      const sameLine = REASON.exec(m[2])
      if (sameLine) this.onReason(m[1], sameLine[1])
      else this.pending = m[1]
    }
  }

  finish(): FailedBuild[] {
    if (this.pending !== undefined) this.add({ derivation: this.pending })
    this.pending = undefined
    return [...this.found.values()]
  }

  /** The key `nix build -L` would give the failing derivation's lines. */
  get lastFailingName(): string | undefined {
    return this.lastFailing === undefined ? undefined : drvName(this.lastFailing)
  }

  private onReason(drv: string, reason: string): void {
    if (/dependenc(?:y|ies) failed|required system or feature not available|^platform mismatch|^missing system features/.test(reason))
      return
    const exit = /exit code (\d+)/.exec(reason)
    this.add({ derivation: drv, ...(exit ? { exitCode: Number(exit[1]) } : {}) })
  }

  private add(build: FailedBuild): void {
    const seen = this.found.get(build.derivation)
    if (seen) {
      if (seen.exitCode === undefined && build.exitCode !== undefined) seen.exitCode = build.exitCode
      return
    }
    if (this.found.size >= MAX_FINDINGS) this.truncated = true
    else this.found.set(build.derivation, build)
  }
}
