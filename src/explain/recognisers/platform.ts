// Nix refusing to build a derivation on this machine: its system or required features are not
// offered. Two shapes:
//   Nix 2.x to ~2.2x, one line: "a 'aarch64-linux' with features {kvm} is required to build '…',
//     but I am a 'x86_64-linux' with features {benchmark, big-parallel}" (older: no features)
//   newer Nix: "Cannot build '…'." / "Reason: required system or feature not available" /
//     "Required system: '…' with features {…}" / "Current system: '…' with features {…}"
//   2.3x: "Reason: platform mismatch" / "Required system: '…'" / "Current system: '…'", or
//     "Reason: missing system features" / "Required features: {…}" / "Available features: {…}"
//     (real 2.34 stderr: __tests__/fixtures/nix-json/nix-2.34.8.platform-refusal.stderr.txt)
import { LineRecogniser, MAX_FINDINGS, Origin, PlatformMismatch } from '../types.js'

// Systems and store paths hold no whitespace and feature sets no "{": each quoted or braced part
// stops at the next start of one, so a long line of repeated starts is read in linear time.
const ONE_LINE =
  /a [`'‘]([^'’\s]+)['’](?: with features \{([^{}]*)\})? is required to build [`'‘]([^'’\s]+)['’], but I am a [`'‘]([^'’\s]+)['’](?: with features \{([^{}]*)\})?/
const CANNOT_BUILD = /Cannot build '([^']+)'\./
const REASON = /(?:^|\s)Reason: (?:required system or feature not available|platform mismatch|missing system features)$/
const REQUIRED = /^\s*Required system: '([^']+)'(?: with features \{([^}]*)\})?/
const CURRENT = /^\s*Current system: '([^']+)'(?: with features \{([^}]*)\})?/
const REQUIRED_FEATURES = /^\s*Required features: \{([^}]*)\}/
const AVAILABLE_FEATURES = /^\s*Available features: \{([^}]*)\}/

export class PlatformRecogniser implements LineRecogniser {
  readonly found: PlatformMismatch[] = []
  truncated = false
  private lastCannotBuild?: { drv: string; age: number }
  private open?: { drv?: string; required?: PlatformMismatch }

  push(text: string, origin: Origin): void {
    if (origin.from !== 'nix') return
    if (this.lastCannotBuild && ++this.lastCannotBuild.age > 3) this.lastCannotBuild = undefined
    let m: RegExpExecArray | null
    if (this.open) {
      if ((m = REQUIRED.exec(text))) {
        this.open.required = {
          ...(this.open.drv ? { derivation: this.open.drv } : {}),
          requiredSystem: m[1],
          requiredFeatures: features(m[2])
        }
        return
      }
      if ((m = CURRENT.exec(text)) && this.open.required) {
        this.add({ ...this.open.required, hostSystem: m[1], ...(m[2] !== undefined ? { hostFeatures: features(m[2]) } : {}) })
        this.open = undefined
        return
      }
      // The features form names no system: the derivation's is this machine's own.
      if ((m = REQUIRED_FEATURES.exec(text))) {
        this.open.required = {
          ...(this.open.drv ? { derivation: this.open.drv } : {}),
          requiredSystem: '',
          requiredFeatures: features(m[1])
        }
        return
      }
      if ((m = AVAILABLE_FEATURES.exec(text)) && this.open.required) {
        this.add({ ...this.open.required, hostFeatures: features(m[1]) })
        this.open = undefined
        return
      }
      this.flush()
    }
    if ((m = ONE_LINE.exec(text))) {
      this.add({
        derivation: m[3],
        requiredSystem: m[1],
        requiredFeatures: features(m[2]),
        hostSystem: m[4],
        ...(m[5] !== undefined ? { hostFeatures: features(m[5]) } : {})
      })
      return
    }
    if ((m = CANNOT_BUILD.exec(text))) this.lastCannotBuild = { drv: m[1], age: 0 }
    if (REASON.test(text)) this.open = { drv: this.lastCannotBuild?.drv }
  }

  finish(): void {
    this.flush()
  }

  /** A block that named the required system but not the current one still says what is needed. */
  private flush(): void {
    if (this.open?.required) this.add(this.open.required)
    this.open = undefined
  }

  private add(p: PlatformMismatch): void {
    const key = `${p.derivation} ${p.requiredSystem}`
    if (this.found.some(f => `${f.derivation} ${f.requiredSystem}` === key)) return
    if (this.found.length >= MAX_FINDINGS) this.truncated = true
    else this.found.push(p)
  }
}

function features(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map(f => f.trim())
    .filter(f => f !== '')
}
