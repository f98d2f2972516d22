// Reporter for the CLI: readable terminal output; annotations as file:line prefixes.
import type { Annotation, Reporter } from './reporter.js'

export class TerminalReporter implements Reporter {
  readonly outputs = new Map<string, string>()
  private readonly summaryParts: string[] = []
  private readonly secrets: string[] = []
  private depth = 0

  constructor(private readonly write: (text: string) => void = text => process.stderr.write(text)) {}

  info(message: string): void {
    this.print(message)
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
  setOutput(name: string, value: string): void {
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
    this.write(text.split('\n').map(line => indent + line).join('\n') + '\n')
  }
}

function where(annotation: Annotation | undefined): string {
  if (!annotation?.file) return ''
  return `${annotation.file}${annotation.startLine ? `:${annotation.startLine}` : ''}: `
}
