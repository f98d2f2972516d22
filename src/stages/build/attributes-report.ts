// The per-attribute part of the build report (`outputs: all` or a list): a job summary table per
// system, failures first, each failure naming its failing derivation and its last log lines, and
// an annotation per failure (at the flake file and line for an evaluation error).
import { markdownCode, markdownCodeBlock, markdownProse, markdownText } from '../../report/markdown.js'
import { Reporter, formatBytes, formatDuration, markdownTable } from '../../report/reporter.js'
import type { AttributeBuildResult, BuildStageResult } from './types.js'

const ICON: Record<AttributeBuildResult['status'], string> = {
  built: '✅ built',
  failed: '❌ failed',
  'eval-failed': '❌ evaluation failed',
  cancelled: '⏹️ cancelled',
  'not-built': '⛔ not built'
}

/** Lines of a failing builder's log shown in the summary (the log group has more). */
const SUMMARY_TAIL = 10

export function attributesSummary(result: BuildStageResult): string {
  const sections: string[] = []
  for (const system of result.systems) {
    if (system.attributes === undefined) continue
    const attributes = system.attributes
    const failed = attributes.filter(a => a.status !== 'built').length
    sections.push(
      `#### ${markdownCode(system.system)}: ${attributes.length === 0 ? 'nothing selected' : `${attributes.length - failed} of ${attributes.length} built`}`
    )
    if (attributes.length > 0) sections.push('', attributesTable(attributes), ...failureDetails(attributes))
    sections.push('')
  }
  const outputs = result.outputs
  if (outputs && outputs.unplaced.length > 0) {
    sections.push('#### Not evaluated to any system', '', attributesTable(outputs.unplaced), ...failureDetails(outputs.unplaced), '')
  }
  if (outputs && outputs.skipped.length > 0) {
    sections.push(`Left out: ${outputs.skipped.map(s => `${markdownCode(s.attrPath)} (${markdownText(s.reason)})`).join(', ')}.`, '')
  }
  return sections.join('\n').trimEnd()
}

function attributesTable(attributes: AttributeBuildResult[]): string {
  const rows = attributes.map(a => [
    markdownCode(a.attrPath),
    ICON[a.status],
    a.durationMs === undefined ? '–' : a.alreadyValid ? 'cached' : formatDuration(a.durationMs),
    a.closureSize === undefined ? '–' : formatBytes(a.closureSize),
    a.status === 'built'
      ? ''
      : a.failures.length > 0
        ? a.failures.map(f => markdownCode(f.name)).join(', ')
        : a.evaluation?.position
          ? markdownCode(a.evaluation.position)
          : '–'
  ])
  return markdownTable(['Attribute', 'Result', 'Time', 'Closure', 'Failing derivation'], rows)
}

/** One entry per failure: what failed, Nix's message, the builder's last lines (untrusted: in code blocks). */
function failureDetails(attributes: AttributeBuildResult[]): string[] {
  const lines: string[] = []
  for (const a of attributes.filter(x => x.status !== 'built')) {
    lines.push('', `**${markdownCode(a.attrPath)}**: ${markdownProse(a.error ?? a.status)}`)
    if (a.evaluation) lines.push('', markdownCodeBlock(a.evaluation.message.split('\n').slice(0, 10)))
    for (const f of a.failures) {
      lines.push('', `Failing derivation ${markdownCode(f.drvPath)}${f.tail.length > 0 ? ', last log lines:' : ''}`)
      if (f.tail.length > 0) lines.push('', markdownCodeBlock(f.tail.slice(-SUMMARY_TAIL)))
    }
  }
  return lines
}

/** Log lines and annotations for each attribute that did not build. */
export function reportAttributes(result: BuildStageResult, reporter: Reporter): void {
  const all = [...result.systems.flatMap(s => s.attributes ?? []), ...(result.outputs?.unplaced ?? [])]
  for (const a of all.filter(x => x.status !== 'built')) {
    const failure = a.failures[0]
    const tail = failure?.tail.length ? `\nLast log lines of ${failure.name}:\n${failure.tail.join('\n')}` : ''
    const evaluation = a.evaluation ? `\n${a.evaluation.message}` : ''
    const at = a.evaluation?.position ? /^(.*):(\d+):\d+$/.exec(a.evaluation.position) : null
    reporter.error(`${a.attrPath}: ${a.error ?? a.status}${evaluation}${tail}`, {
      title:
        a.status === 'eval-failed'
          ? `Evaluation failed: ${a.attrPath}`
          : `Build ${a.status}: ${a.attrPath}${failure ? ` (${failure.name})` : ''}`,
      ...(at && !at[1].startsWith('/') ? { file: at[1], startLine: Number(at[2]) } : {})
    })
  }
  for (const s of result.outputs?.skipped ?? []) reporter.info(`${s.attrPath}: not built here, ${s.reason}`)
}

/** The `attributes` list of a system in `build-results`. */
export function attributesOutput(attributes: AttributeBuildResult[]): Record<string, unknown>[] {
  return attributes.map(a => ({
    attrPath: a.attrPath,
    kind: a.kind,
    status: a.status,
    drvPath: a.drvPath ?? null,
    outPaths: a.outPaths,
    durationMs: a.durationMs ?? null,
    alreadyValid: a.alreadyValid ?? false,
    closureSize: a.closureSize ?? null,
    failedDerivations: a.failures.map(f => f.drvPath),
    error: a.error ?? null,
    evaluation: a.evaluation ?? null
  }))
}
