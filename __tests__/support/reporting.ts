// A TerminalReporter that records what it printed, for assertions.
import { TerminalReporter } from '../../src/report/terminal-reporter.js'

export interface RecordingReporter extends TerminalReporter {
  text(): string
}

export function recordingReporter(onText?: (text: string) => void): RecordingReporter {
  const chunks: string[] = []
  const reporter = new TerminalReporter(text => {
    chunks.push(text)
    onText?.(text)
  }) as RecordingReporter
  reporter.text = () => chunks.join('')
  return reporter
}
