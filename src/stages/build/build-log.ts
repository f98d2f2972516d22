// Follows one `nix build --log-format internal-json` run: which derivation each builder line
// belongs to, when each build started and stopped, and what Nix itself reported (errors and
// warnings). Builder output is kept only as a short tail per derivation, for failure reports.
import { ActivityType, NixLogEvent, ResultType, parseInternalJsonLine, stripAnsi } from '../../nix/internal-json.js'
import type { NixLine } from '../../nix/runner.js'

export const TAIL_LINES = 25

export interface DerivationActivity {
  drvPath: string
  startedAt: number
  stoppedAt?: number
  tail: string[]
  /** The remote machine Nix built it on (its build activity's second field); unset: locally. */
  machine?: string
}

export interface NixMessage {
  level: number
  text: string
}

const STORE_DRV = /'(\/nix\/store\/[a-z0-9]{32}-[^'\s]+\.drv)'/

export class BuildLog {
  readonly builds = new Map<string, DerivationActivity>()
  /** Nix's own error messages (level 0 with raw_msg), ANSI stripped, in order. */
  readonly errors: NixMessage[] = []
  /** Derivations Nix itself named as failed (never inferred from builder output). */
  readonly failedDrvs = new Set<string>()
  private readonly activityDrv = new Map<number, string>()
  private static readonly MAX_ERRORS = 500

  /**
   * @param display called with each line worth showing live: Nix's messages and builder output
   *                (with the derivation it belongs to).
   */
  constructor(private readonly display: (text: string, drvPath?: string) => void = () => {}) {}

  readonly onLine = (line: NixLine): void => {
    if (line.stream === 'stdout') return
    const event = parseInternalJsonLine(line.text)
    if (event === undefined) {
      if (line.text.trim() !== '') this.display(stripAnsi(line.text))
      return
    }
    this.onEvent(event, Date.now())
  }

  onEvent(event: NixLogEvent, now: number): void {
    switch (event.action) {
      case 'start':
        if (event.type === ActivityType.Build && typeof event.fields[0] === 'string') {
          const drvPath = event.fields[0]
          this.activityDrv.set(event.id, drvPath)
          // A remote build's own start may be relayed again without the machine: keep the first's.
          const machine =
            typeof event.fields[1] === 'string' && event.fields[1] !== '' ? event.fields[1] : this.builds.get(drvPath)?.machine
          this.builds.set(drvPath, { drvPath, startedAt: now, tail: [], ...(machine ? { machine } : {}) })
          this.display(stripAnsi(event.text), drvPath)
        } else if (event.type === ActivityType.Substitute || event.type === ActivityType.CopyPath) {
          if (event.text) this.display(stripAnsi(event.text))
        }
        return
      case 'stop': {
        const drvPath = this.activityDrv.get(event.id)
        const build = drvPath ? this.builds.get(drvPath) : undefined
        if (build) build.stoppedAt = now
        return
      }
      case 'result': {
        if (event.type !== ResultType.BuildLogLine && event.type !== ResultType.PostBuildLogLine) return
        const drvPath = this.activityDrv.get(event.id)
        const text = stripAnsi(String(event.fields[0] ?? ''))
        if (drvPath) {
          const tail = this.builds.get(drvPath)?.tail
          if (tail) {
            tail.push(text)
            if (tail.length > TAIL_LINES) tail.shift()
          }
        }
        this.display(text, drvPath)
        return
      }
      case 'msg': {
        const text = stripAnsi(event.msg)
        // A builder can print `@nix {"action":"msg",...}` and Nix relays it as a msg event; only
        // Nix's own structured errors carry raw_msg, so only those count as Nix's word.
        if (event.level === 0 && event.raw_msg !== undefined) {
          if (this.errors.length < BuildLog.MAX_ERRORS) this.errors.push({ level: 0, text })
          const failed = failedDerivationOf(text)
          if (failed) this.failedDrvs.add(failed)
        }
        this.display(text)
        return
      }
    }
  }

  /** How long a derivation's build took, if it was built in this run. */
  durationOf(drvPath: string): number | undefined {
    const build = this.builds.get(drvPath)
    if (!build?.stoppedAt) return undefined
    return build.stoppedAt - build.startedAt
  }
}

/**
 * The derivation an error message says failed itself. "N dependencies of derivation X failed" is
 * about X's inputs, so X is not counted as the cause.
 */
export function failedDerivationOf(message: string): string | undefined {
  const firstLine = message.split('\n')[0]
  if (/dependenc(y|ies) of derivation/.test(firstLine)) return undefined
  return STORE_DRV.exec(firstLine)?.[1]
}
