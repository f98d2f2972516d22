// How stages tell their user what happened. The action reports through @actions/core (log groups,
// annotations, outputs, job summary); the CLI through a terminal. Stages only see this interface.
import type { OutputName } from '../outputs.js'

export interface Annotation {
  title?: string
  file?: string
  startLine?: number
  endLine?: number
}

export interface Reporter {
  /** nix-ci's own words. Text that came from Nix, a builder or a VM goes through untrusted(). */
  info(message: string): void
  /**
   * Shows text Nix, a builder, a VM or a test wrote: verbatim, but never read as a workflow command
   * (`::error::`, `##[set-output]`) or a terminal control sequence. A builder is hostile.
   */
  untrusted(text: string): void
  /** Detail for whoever debugs a run: the action's debug log (ACTIONS_STEP_DEBUG), the CLI's --debug. */
  debug(message: string): void
  notice(message: string, annotation?: Annotation): void
  warning(message: string, annotation?: Annotation): void
  error(message: string, annotation?: Annotation): void
  /** Runs fn inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
  setOutput(name: OutputName, value: string): void
  /** Appends Markdown to the job summary (written at the end of the run). */
  addSummary(markdown: string): void
  /** Hides a value in every later log line. */
  setSecret(value: string): void
}

/** A Markdown table; cells are escaped so a log line can never break the table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}
