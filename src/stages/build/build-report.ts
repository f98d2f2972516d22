// Tells the user what the build stage did: one log group per system, annotations for failures,
// a job summary table, and the `out-paths` / `build-results` outputs.
import { classifyNixMessages, explainFindings } from '../../explain/index.js'
import { markdownCode, markdownProse, markdownText } from '../../report/markdown.js'
import { Reporter, formatBytes, formatDuration, markdownTable } from '../../report/reporter.js'
import { attributesOutput, attributesSummary, reportAttributes } from './attributes-report.js'
import type { BuildStageResult, SystemBuildResult } from './types.js'

const STATUS_ICON: Record<SystemBuildResult['status'], string> = {
  built: '✅ built',
  failed: '❌ failed',
  cancelled: '⏹️ cancelled',
  'not-built': '⛔ not built'
}

export async function reportBuild(result: BuildStageResult, reporter: Reporter): Promise<void> {
  for (const system of result.systems) {
    await reporter.group(`${system.system} (${howBuilt(system)}): ${system.status}`, async () => {
      for (const line of describeSystem(system)) reporter.info(line)
      // Nix's error messages quote the builder's last log lines: hostile text.
      for (const failure of system.failures) {
        reporter.info(`failed: ${failure.drvPath}`)
        if (failure.message)
          reporter.untrusted(
            failure.message
              .split('\n')
              .map(l => `  ${l}`)
              .join('\n')
          )
      }
      if (system.error) reporter.untrusted(system.error)
    })
    // With several attributes per system, each failed attribute gets its own annotation below.
    if (system.status !== 'built' && system.attributes === undefined) {
      const failure = system.failures[0]
      const tail = failure?.tail.length ? `\nLast log lines of ${failure.name}:\n${failure.tail.join('\n')}` : ''
      reporter.error(`${system.attrPath}: ${system.error ?? system.status}${tail}`, {
        title: failure ? `Build failed for ${system.system}: ${failure.name}` : `Build ${system.status} for ${system.system}`
      })
    }
  }
  reportAttributes(result, reporter)
  reporter.setOutput('out-paths', JSON.stringify(outPathsOutput(result)))
  reporter.setOutput('build-results', JSON.stringify(buildResultsOutput(result)))
  reporter.addSummary(buildSummary(result))
}

function describeSystem(system: SystemBuildResult): string[] {
  const lines: string[] = []
  if (system.drvPath) lines.push(`derivation: ${system.drvPath}`)
  for (const path of system.outPaths) lines.push(`output: ${path}`)
  if (system.durationMs !== undefined)
    lines.push(`time: ${system.alreadyValid ? 'already in the store' : formatDuration(system.durationMs)}`)
  if (system.closureSize !== undefined) lines.push(`closure size: ${formatBytes(system.closureSize)}`)
  if (system.elf) {
    lines.push(
      `ELF check: ${system.elf.elfFiles} ELF file(s) in ${system.elf.checkedFiles} file(s), ` +
        `${system.elf.wrongMachine.length === 0 ? `all for ${system.system}` : `${system.elf.wrongMachine.length} for another machine`}` +
        (system.elf.truncated ? ' (stopped at the file limit)' : '')
    )
  }
  return lines
}

export function outPathsOutput(result: BuildStageResult): Record<string, string[]> {
  return Object.fromEntries(result.systems.filter(s => s.status === 'built').map(s => [s.system, s.outPaths]))
}

export function buildResultsOutput(result: BuildStageResult): Record<string, unknown> {
  return Object.fromEntries(
    result.systems.map(s => [
      s.system,
      {
        status: s.status,
        mode: s.mode,
        builtOn: s.builtOn ?? null,
        attrPath: s.attrPath,
        drvPath: s.drvPath ?? null,
        outPaths: s.outPaths,
        durationMs: s.durationMs ?? null,
        alreadyValid: s.alreadyValid ?? false,
        closureSize: s.closureSize ?? null,
        failedDerivations: s.failures.map(f => f.drvPath),
        error: s.error ?? null,
        ...(s.attributes ? { attributes: attributesOutput(s.attributes) } : {})
      }
    ])
  )
}

export function buildSummary(result: BuildStageResult): string {
  const rows = result.systems.map(s => [
    markdownCode(s.system),
    s.builtOn !== undefined && s.builtOn !== 'local' ? `remote on ${markdownCode(s.builtOn)}` : markdownText(s.mode),
    STATUS_ICON[s.status],
    s.durationMs === undefined ? '–' : s.alreadyValid ? 'cached' : formatDuration(s.durationMs),
    s.closureSize === undefined ? '–' : formatBytes(s.closureSize),
    s.attributes !== undefined
      ? `${s.attributes.length} attribute(s)${s.status === 'built' ? '' : `: ${markdownProse(s.error ?? s.status)}`}`
      : s.outPaths.length && s.status === 'built'
        ? s.outPaths.map(markdownCode).join('<br>')
        : s.error !== undefined
          ? markdownProse(s.error)
          : '–'
  ])
  const advice = buildAdvice(result)
  const lines = [
    `### nix-ci build: ${result.ok ? 'all systems built' : result.cancelled ? 'cancelled' : 'failed'}`,
    '',
    markdownTable(['System', 'How', 'Result', 'Time', 'Closure', 'Output'], rows),
    '',
    `Nix ${markdownText(result.nixVersion)} on ${markdownCode(result.hostSystem)}, ${formatDuration(result.durationMs)} in all.` +
      (result.nativeFodsFirst.length
        ? ` ${result.nativeFodsFirst.length} fixed-output derivation(s) realised natively before the emulated build.`
        : '')
  ]
  const perAttribute = attributesSummary(result)
  if (perAttribute !== '') lines.push('', perAttribute)
  // Advice quotes what Nix and builders said (URLs, paths, commands): its code spans stay, the rest is text.
  if (advice.length > 0) lines.push('', '**What to do**', '', ...advice.map(a => `- ${markdownProse(a)}`))
  return lines.join('\n')
}

/** Advice for what Nix itself reported (its errors, and the tails of builds it said failed). */
export function buildAdvice(result: BuildStageResult): string[] {
  const tails = new Map(result.systems.flatMap(s => s.failures.map(f => [f.drvPath, f.tail] as const)))
  return explainFindings(classifyNixMessages(result.nixErrors, tails))
}

/** `native`, `emulated`, or `remote on user@host`: where the system was (to be) built. */
export function howBuilt(s: SystemBuildResult): string {
  if (s.builtOn !== undefined && s.builtOn !== 'local') return `remote on ${s.builtOn}`
  return s.mode
}
