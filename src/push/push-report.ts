// The push's part of the job summary and log: where, how many paths and bytes, signed with what,
// and a failure as a warning (or an error with `push-required`) that says what to do.
import { markdownCode, markdownProse, markdownText } from '../report/markdown.js'
import { Reporter, formatBytes, formatDuration } from '../report/reporter.js'
import type { PushResult } from './push.js'

export function pushSummaryMarkdown(result: PushResult): string {
  const store = markdownCode(result.store)
  const signed = result.signedWith ? `signed with ${markdownCode(result.signedWith)}` : 'unsigned'
  const skipped = `${result.alreadyThere} already there, ${result.onUpstream} served by upstream substituters`
  const line =
    result.status === 'pushed'
      ? `Pushed ${result.pushed.length} store path(s), ${formatBytes(result.pushedBytes)}, to ${store} (${signed}; ${skipped}) in ${formatDuration(result.durationMs)}.`
      : result.status === 'nothing-to-push'
        ? `Nothing new to push to ${store} (${skipped}).`
        : `Push to ${store} failed: ${markdownProse((result.error ?? '').split('\n').slice(-1)[0] ?? '')}`
  return `### Binary cache push\n\n${line}${result.status === 'failed' ? `\n\n${markdownText((result.error ?? '').split('\n').slice(1, -1).join(' '))}` : ''}`
}

/** Reports the push; returns the failure message when it must fail the run (`push-required`). */
export function reportPush(result: PushResult, reporter: Reporter, required: boolean): string | undefined {
  reporter.addSummary(pushSummaryMarkdown(result))
  reporter.setOutput('pushed-paths', JSON.stringify(result.pushed))
  if (result.status !== 'failed') {
    if (result.status === 'pushed')
      reporter.info(`Pushed ${result.pushed.length} store path(s), ${formatBytes(result.pushedBytes)}, to ${result.store}.`)
    return undefined
  }
  const message = result.error ?? `Pushing to ${result.store} failed.`
  if (required) {
    reporter.error(message, { title: 'Binary cache push failed' })
    return message
  }
  reporter.warning(`${message}\nThe build's result is unaffected (push-required is false).`, { title: 'Binary cache push failed' })
  return undefined
}
