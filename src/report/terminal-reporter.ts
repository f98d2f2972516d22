// Reporter for the CLI: readable terminal output; annotations as file:line prefixes.
import type { OutputName } from '../outputs.js'
import { pathAt } from './quoted-path.js'
import type { Annotation, Reporter } from './reporter.js'

export class TerminalReporter implements Reporter {
  readonly outputs = new Map<string, string>()
  private readonly summaryParts: string[] = []
  private readonly secrets: string[] = []
  private depth = 0

  /** Prints debug() lines too (the CLI's --debug, or NIX_CI_DEBUG=1). */
  showDebug = process.env.NIX_CI_DEBUG === '1'

  constructor(private readonly write: (text: string) => void = text => process.stderr.write(text)) {}

  info(message: string): void {
    this.print(message)
  }
  /** Control characters become visible escapes; a line cannot start or hold a workflow command. */
  untrusted(text: string): void {
    this.print(
      text
        .split(/\r\n|\n|\r/)
        .map(inertLine)
        .join('\n')
    )
  }
  debug(message: string): void {
    if (this.showDebug) this.print(`debug: ${message}`)
  }
  notice(message: string, annotation?: Annotation): void {
    this.print(`notice: ${where(annotation)}${message}`)
  }
  warning(message: string, annotation?: Annotation): void {
    this.print(`warning: ${where(annotation)}${message}`)
  }
  error(message: string, annotation?: Annotation): void {
    this.print(`error: ${where(annotation)}${message}`)
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.print(`▶ ${title}`)
    this.depth++
    try {
      return await fn()
    } finally {
      this.depth--
    }
  }
  setOutput(name: OutputName, value: string): void {
    this.outputs.set(name, value)
  }
  addSummary(markdown: string): void {
    this.summaryParts.push(markdown)
  }
  setSecret(value: string): void {
    if (value !== '') this.secrets.push(value)
  }
  summary(): string {
    return this.summaryParts.join('\n\n')
  }

  private print(message: string): void {
    let text = message
    for (const secret of this.secrets) text = text.split(secret).join('***')
    const indent = '  '.repeat(this.depth)
    this.write(
      text
        .split('\n')
        .map(line => indent + line)
        .join('\n') + '\n'
    )
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
/** Invisible, and not whitespace to the runner (which trims whitespace before looking for `::`). */
const ZWSP = '\u200b'

/**
 * The CLI also runs inside GitHub Actions, where the runner reads commands from stderr too:
 * `##[` anywhere and `::` at the start of a line are broken up with a zero-width space.
 */
export function inertLine(line: string): string {
  const visible = line.replace(CONTROL, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/##\[/g, `#${ZWSP}#[`)
  return visible.trimStart().startsWith('::') ? ZWSP + visible : visible
}

function where(annotation: Annotation | undefined): string {
  if (!annotation?.file) return ''
  return `${pathAt(annotation.file, annotation.startLine || undefined)}: `
}
