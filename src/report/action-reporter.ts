// Reporter for GitHub Actions: workflow commands via @actions/core.
import type { OutputName } from '../outputs.js'
import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { EOL } from 'node:os'
import { isPlainPath, pathAt } from './quoted-path.js'
import type { Annotation, Reporter } from './reporter.js'

/**
 * An annotation's `file` is a repository path, and whoever pushed a commit chose it: GitHub gets it
 * only when it is plain; any other path is left out of the annotation and quoted in its message.
 */
function annotated(message: string, annotation: Annotation | undefined): [string, Annotation | undefined] {
  if (annotation?.file === undefined || isPlainPath(annotation.file)) return [message, annotation]
  const { file, startLine, title } = annotation
  return [`${pathAt(file, startLine)}: ${message}`, title === undefined ? undefined : { title }]
}

/** Untrusted lines are flushed in batches: at most this many, or after this long. */
const BATCH_LINES = 500
const BATCH_MS = 100

export class ActionReporter implements Reporter {
  private readonly summaryParts: string[] = []
  private pending: string[] = []
  private readonly masked = new Set<string>()
  private timer?: NodeJS.Timeout

  info(message: string): void {
    this.flush()
    core.info(message)
  }
  /**
   * The runner acts on a command anywhere in a line (`##[cmd]`) or at its start (`::cmd::`), so
   * builder text is printed between `::stop-commands::<token>` and `::<token>::`. Each batch gets a
   * fresh random token, printed only once the batch's text is fixed: what the builder wrote cannot
   * know the token that closes the region it sits in. Our own commands always come after the close.
   */
  untrusted(text: string): void {
    for (const line of text.split(/\r\n|\n|\r/)) this.pending.push(line)
    if (this.pending.length >= BATCH_LINES) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS)
  }
  debug(message: string): void {
    this.flush()
    core.debug(message)
  }
  notice(message: string, annotation?: Annotation): void {
    this.flush()
    core.notice(...annotated(message, annotation))
  }
  warning(message: string, annotation?: Annotation): void {
    this.flush()
    core.warning(...annotated(message, annotation))
  }
  error(message: string, annotation?: Annotation): void {
    this.flush()
    core.error(...annotated(message, annotation))
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.flush()
    core.startGroup(title)
    try {
      return await fn()
    } finally {
      this.flush()
      core.endGroup()
    }
  }
  setOutput(name: OutputName, value: string): void {
    this.flush()
    core.setOutput(name, value)
  }
  addSummary(markdown: string): void {
    this.summaryParts.push(markdown)
  }
  setSecret(value: string): void {
    // `::add-mask::` inside a stopped region would be ignored: close it first.
    this.flush()
    // Once is enough: every `::add-mask::` line is one more place the value is written.
    if (value === '' || this.masked.has(value)) return
    this.masked.add(value)
    core.setSecret(value)
  }

  /** Writes the job summary; a runner without GITHUB_STEP_SUMMARY just logs that it has none. */
  async writeSummary(): Promise<void> {
    this.flush()
    if (this.summaryParts.length === 0) return
    if (!process.env.GITHUB_STEP_SUMMARY) {
      core.info('No GITHUB_STEP_SUMMARY on this runner: job summary not written.')
      return
    }
    await core.summary.addRaw(this.summaryParts.join('\n\n'), true).write()
  }

  /** Prints the pending untrusted lines inside one stop-commands region. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length === 0) return
    const token = randomBytes(24).toString('hex')
    const lines = this.pending
    this.pending = []
    process.stdout.write([`::stop-commands::${token}`, ...lines, `::${token}::`].join(EOL) + EOL)
  }
}
