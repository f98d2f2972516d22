// The job after the matrix (`matrix: aggregate`): gathers every system's artifact, writes one job
// summary, proposes one fix pull request with the hashes every system agreed on, and tags a
// release only when every system is green. It builds nothing itself.
import { errorMessage } from '../../errors.js'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Downloaded } from '../../artifact/transport.js'
import { markdownCode, markdownProse } from '../../report/markdown.js'
import { Reporter, formatBytes, formatDuration, markdownTable } from '../../report/reporter.js'
import { reportHashes } from '../fix-hashes/hashes-report.js'
import type { FixHashesResult } from '../fix-hashes/types.js'
import { applyAgreedFixes } from './apply-fixes.js'
import { AggregateDecision, decideAggregate } from './merge.js'
import { SystemResultFile, readSystemResult } from './system-result.js'

export interface AggregateStageOptions {
  systems: string[]
  /** Where the matrix's results come from (the artifact service; tests may give their own). */
  download: (systems: string[], dir: string) => Promise<Downloaded[]>
  reporter: Reporter
  /** The checkout the agreed fixes are written into; unset: report only. */
  writeFixesTo?: string
  /** The run's commit: a system whose result names another one, or none, is not counted. */
  commit?: string
}

export interface AggregateStageResult {
  decision: AggregateDecision
  hashes: FixHashesResult
  failures: string[]
}

export async function runAggregateStage(options: AggregateStageOptions): Promise<AggregateStageResult> {
  const { reporter } = options
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-aggregate-'))
  try {
    const found = new Map<string, SystemResultFile | { missing: string }>()
    await reporter.group(`Matrix results (${options.systems.join(', ')})`, async () => {
      const list = await options.download(options.systems, dir)
      for (const d of list) {
        if ('missing' in d) {
          found.set(d.system, { missing: d.missing })
          reporter.info(`${d.system}: ${d.missing}`)
          continue
        }
        try {
          const result = readSystemResult(readFileSync(d.file, 'utf8'), d.system)
          // A result that names no commit, or another one, says nothing about this one.
          if (options.commit !== undefined && result.commit !== options.commit) {
            found.set(d.system, {
              missing: `its matrix job built ${result.commit?.slice(0, 12) ?? 'no known commit'}, not this commit ${options.commit.slice(0, 12)}`
            })
          } else found.set(d.system, result)
          // Another job's words: printed where the runner reads no command.
          reporter.untrusted(
            `${d.system}: ${result.build.status}${result.build.builtOn ? ` on ${result.build.builtOn}` : ''} (Nix ${result.nixVersion}), ${result.hashes.fixes.length} verified hash fix(es)`
          )
        } catch (error) {
          found.set(d.system, { missing: `its artifact cannot be read: ${errorMessage(error)}` })
        }
      }
    })
    const decision = decideAggregate(options.systems, found)
    const hashes = decision.hashes
    if (options.writeFixesTo !== undefined && hashes.fixes.length > 0)
      hashes.writtenFiles = await applyAgreedFixes(options.writeFixesTo, hashes.fixes)
    reporter.addSummary(aggregateSummary(decision))
    reportHashes(hashes, reporter, hashes.writtenFiles.length > 0)
    reporter.setOutput(
      'build-results',
      JSON.stringify(
        Object.fromEntries(
          decision.systems.map(s => [s.system, s.state === 'missing' ? { status: 'missing', error: s.reason } : s.result.build])
        )
      )
    )
    reporter.setOutput(
      'out-paths',
      JSON.stringify(Object.fromEntries(decision.systems.flatMap(s => (s.state === 'built' ? [[s.system, s.result.build.outPaths]] : []))))
    )
    const failures = decision.systems.flatMap(s =>
      s.state === 'built' ? [] : [`${s.system}: ${s.state === 'missing' ? s.reason : `failed: ${s.reason}`}`]
    )
    for (const s of decision.systems.filter(x => x.state !== 'built')) {
      reporter.error(s.reason, { title: `${s.system}: ${s.state === 'missing' ? 'no result from the matrix' : 'failed in the matrix'}` })
    }
    if (hashes.status !== 'clean')
      failures.push(`Stale fixed-output hashes: ${hashes.fixes.length} agreed by every system, ${hashes.problems.length} not fixed`)
    return { decision, hashes, failures }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function aggregateSummary(decision: AggregateDecision): string {
  const rows = decision.systems.map(s => {
    if (s.state === 'missing') return [markdownCode(s.system), '⛔ missing', '–', '–', '–', markdownProse(s.reason)]
    const b = s.result.build
    return [
      markdownCode(s.system),
      s.state === 'built' ? '✅ built' : '❌ failed',
      b.builtOn && b.builtOn !== 'local' ? `remote on ${markdownCode(b.builtOn)}` : b.mode,
      b.durationMs === null ? '–' : formatDuration(b.durationMs),
      b.closureSize === null ? '–' : formatBytes(b.closureSize),
      s.state === 'failed' ? markdownProse(s.reason) : b.outPaths.map(markdownCode).join('<br>')
    ]
  })
  return [
    `### nix-ci matrix: ${decision.allGreen ? 'every system built' : 'not every system is green'}`,
    '',
    markdownTable(['System', 'Result', 'How', 'Time', 'Closure', 'Output'], rows),
    '',
    `One job per system; hash fixes kept: ${decision.hashes.fixes.length}, not kept: ${decision.hashes.problems.length}.`
  ].join('\n')
}
