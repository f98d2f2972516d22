// Where a run's time goes: named phases of a stage, and every nix call (NixRunner's call log).
// Printed at debug level by the action and the CLI, and by the benchmarks, to show what to cut.
import type { NixCall } from '../nix/runner.js'
import { formatDuration } from './reporter.js'

export interface Phase {
  name: string
  durationMs: number
}

/** Times the phases of one stage run, in the order they ran. */
export class PhaseTimer {
  readonly phases: Phase[] = []

  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now()
    try {
      return await fn()
    } finally {
      this.phases.push({ name, durationMs: Date.now() - started })
    }
  }
}

/** Lines like `evaluation 2.1 s` and `nix build ×2 3.4 s`: phases in order, nix calls by total time. */
export function describeTiming(phases: Phase[], calls: NixCall[] = []): string[] {
  const lines = phases.map(p => `phase ${p.name}: ${formatDuration(p.durationMs)}`)
  const byCommand = new Map<string, { count: number; ms: number }>()
  for (const call of calls) {
    const entry = byCommand.get(call.command) ?? { count: 0, ms: 0 }
    entry.count++
    entry.ms += call.durationMs
    byCommand.set(call.command, entry)
  }
  for (const [command, { count, ms }] of [...byCommand].sort((a, b) => b[1].ms - a[1].ms)) {
    lines.push(`nix ${command} ×${count}: ${formatDuration(ms)}`)
  }
  return lines
}
