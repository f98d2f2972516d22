// The job summary of the VM test: the verdict in one line, and on failure the failed check, the
// command, the driver's error, the command's output and the journals, each collapsible.
import { classifyNixMessages, explainFindings, vmTestAdvice } from '../../explain/index.js'
import { markdownCode, markdownProse, markdownText } from '../../report/markdown.js'
import { formatDuration } from '../../report/reporter.js'
import type { VmTestFailure, VmTestResult } from './types.js'

const JOURNAL_LINES = 60

export function vmTestSummary(result: Omit<VmTestResult, 'ok' | 'failures'>, service: string): string {
  const title = { passed: 'passed', failed: 'failed', skipped: 'skipped' }[result.result]
  const lines = [`### NixOS VM test: ${title}`, '', markdownProse(result.reason)]
  if (result.installable)
    lines.push('', `Test: ${markdownCode(result.installable)}${result.durationMs > 0 ? ` (${formatDuration(result.durationMs)})` : ''}`)
  if (result.result !== 'failed') return lines.join('\n')

  const failure = result.failure
  if (failure) lines.push('', ...failureLines(failure, service))
  if (result.nixErrors.length > 0 && (!failure || failure.error === undefined)) {
    lines.push('', details('Nix reported', result.nixErrors.join('\n').split('\n').slice(-40), true))
  }
  const advice = [
    ...(failure ? [vmTestAdvice({ result: 'failed', subtest: failure.check, failedCommand: failure.command, error: failure.error })] : []),
    ...explainFindings(classifyNixMessages(result.nixErrors))
  ].filter((a): a is string => a !== undefined)
  if (advice.length > 0) lines.push('', '**What to do**', '', ...[...new Set(advice)].map(a => `- ${markdownProse(a)}`))
  return lines.join('\n')
}

function failureLines(failure: VmTestFailure, service: string): string[] {
  const lines: string[] = []
  // The driver's words are the test's (and the VM's) to choose: text and code, never Markdown.
  if (failure.check) lines.push(`**Failed check:** ${markdownText(failure.check)}`)
  if (failure.command) lines.push(`**Command:** ${markdownCode(failure.command)}`)
  if (failure.error) lines.push(`**Error:** ${markdownText(failure.error)}`)
  if (failure.driverTimedOut) lines.push("**The test driver's own global timeout ended the test.**")
  if (failure.output.length > 0) lines.push('', details('Command output', failure.output, true))
  const source = failure.journalSource === 'dump' ? 'journalctl in the VM' : 'VM console'
  if (failure.serviceJournal.length > 0)
    lines.push('', details(`${service}.service journal (${source})`, failure.serviceJournal.slice(-JOURNAL_LINES), true))
  if (failure.postgresqlJournal.length > 0)
    lines.push('', details(`postgresql journal (${source})`, failure.postgresqlJournal.slice(-JOURNAL_LINES), false))
  if (failure.traceback.length > 0 && failure.error === undefined) lines.push('', details('Test driver error', failure.traceback, true))
  return lines
}

/** A collapsible block; the fence is longer than any backtick run in the text, so logs cannot break it. */
function details(summary: string, text: string[], open: boolean): string {
  const body = text.join('\n')
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return [
    `<details${open ? ' open' : ''}><summary>${escapeHtml(summary)}</summary>`,
    '',
    `${fence}text`,
    body,
    fence,
    '',
    '</details>'
  ].join('\n')
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
