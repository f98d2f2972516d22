// Reporter for GitHub Actions: workflow commands via @actions/core.
import * as core from '@actions/core'
import type { Annotation, Reporter } from './reporter.js'

export class ActionReporter implements Reporter {
  private readonly summaryParts: string[] = []

  info(message: string): void {
    core.info(message)
  }
  notice(message: string, annotation?: Annotation): void {
    core.notice(message, annotation)
  }
  warning(message: string, annotation?: Annotation): void {
    core.warning(message, annotation)
  }
  error(message: string, annotation?: Annotation): void {
    core.error(message, annotation)
  }
  group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return core.group(title, fn)
  }
  setOutput(name: string, value: string): void {
    core.setOutput(name, value)
  }
  addSummary(markdown: string): void {
    this.summaryParts.push(markdown)
  }
  setSecret(value: string): void {
    if (value !== '') core.setSecret(value)
  }

  /** Writes the job summary; a runner without GITHUB_STEP_SUMMARY just logs that it has none. */
  async writeSummary(): Promise<void> {
    if (this.summaryParts.length === 0) return
    if (!process.env.GITHUB_STEP_SUMMARY) {
      core.info('No GITHUB_STEP_SUMMARY on this runner: job summary not written.')
      return
    }
    await core.summary.addRaw(this.summaryParts.join('\n\n'), true).write()
  }
}
