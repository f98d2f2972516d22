// Runs the stages the inputs ask for, in order. Shared by the action (main.ts) and the CLI (cli.ts):
// only the reporter differs.
import type { Inputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import type { Reporter } from './report/reporter.js'
import { reportBuild } from './stages/build/build-report.js'
import { runBuildStage } from './stages/build/build-stage.js'
import type { BuildStageResult } from './stages/build/types.js'
import { liveMismatchParser } from './stages/hashes/discover.js'
import { runFixHashesStage } from './stages/hashes/fix-hashes-stage.js'
import { reportHashes } from './stages/hashes/hashes-report.js'
import type { FixHashesResult } from './stages/hashes/types.js'

export interface PipelineContext {
  nix: NixRunner
  reporter: Reporter
  cwd: string
  signal?: AbortSignal
  /** Base commit for the stale-hash re-check (PR base, push `before`, or the CLI's --base). */
  base?: string
  /** The CLI's `fix-hashes --write`: keep verified fixes in the work tree, no PR step. */
  writeFixesOnly?: boolean
}

export interface PipelineResult {
  ok: boolean
  build?: BuildStageResult
  hashes?: FixHashesResult
  /** Human-readable reasons the run failed. */
  failures: string[]
}

interface UnbuiltStageRequest {
  stage: string
  requested: string
  /** The input value that turns the stage off. */
  off: string
  /** Explicit requests fail the run; defaults only get a notice. */
  fatal: boolean
  what?: string
}

/** Stages (or parts) that exist in action.yml but are not built in this version: said plainly, never faked. */
export function unbuiltStageRequests(inputs: Inputs, context: Pick<PipelineContext, 'writeFixesOnly'> = {}): UnbuiltStageRequest[] {
  const requests: UnbuiltStageRequest[] = []
  if ((inputs.fixHashes === 'pull-request' || inputs.fixHashes === 'commit') && !context.writeFixesOnly) {
    requests.push({
      stage: 'fix-hashes',
      requested: inputs.fixHashes,
      off: 'report',
      fatal: inputs.fixHashes === 'commit',
      what:
        inputs.fixHashes === 'commit'
          ? 'Pushing the fix commit is not built in this version of nix-ci: stale hashes are fixed and verified in the work tree only.'
          : 'Opening the pull request is not built in this version of nix-ci: stale hashes are fixed and verified in the work tree only (a later step can commit them).'
    })
  }
  if (inputs.vmTest.mode !== 'off') {
    requests.push({ stage: 'vm-test', requested: inputs.vmTest.mode === 'attribute' ? inputs.vmTest.attribute : inputs.vmTest.mode, off: 'off', fatal: inputs.vmTest.mode !== 'auto' })
  }
  if (inputs.release !== 'off') requests.push({ stage: 'release', requested: inputs.release, off: 'off', fatal: true })
  if (inputs.cache) requests.push({ stage: 'cache', requested: 'true', off: 'false', fatal: false })
  return requests
}

export async function runPipeline(inputs: Inputs, context: PipelineContext): Promise<PipelineResult> {
  const { reporter } = context
  const failures: string[] = []
  for (const request of unbuiltStageRequests(inputs, context)) {
    const message =
      request.what ??
      `The '${request.stage}' stage (${request.stage}: ${request.requested}) is not built in this version of nix-ci, so it does not run.`
    const fix = ` Set '${request.stage}: ${request.off}' ${request.fatal ? 'until it is' : 'to silence this'}.`
    if (request.fatal) {
      reporter.error(message + fix, { title: `${request.stage}: not available yet` })
      failures.push(message + fix)
    } else {
      reporter.notice(message + fix, { title: `${request.stage}: not available yet` })
    }
  }
  if (failures.length > 0) return { ok: false, failures }
  reporter.setOutput('vm-test-result', 'skipped')
  reporter.setOutput('pull-request-operation', 'none')

  const parser = inputs.fixHashes !== 'off' ? liveMismatchParser() : undefined
  const build = await runBuildStage({
    flake: inputs.flake,
    package: inputs.package,
    systems: inputs.systems,
    nix: context.nix,
    reporter,
    cwd: context.cwd,
    signal: context.signal,
    observe: parser?.onLine
  })
  await reportBuild(build, reporter)
  if (!build.ok) {
    const failed = build.systems.filter(s => s.status !== 'built').map(s => `${s.system} (${s.status})`)
    failures.push(build.cancelled ? `Build cancelled; unfinished: ${failed.join(', ')}` : `Build failed for ${failed.join(', ')}`)
  }

  let hashes: FixHashesResult | undefined
  if (parser && !build.cancelled && inputs.fixHashes !== 'off') {
    const keep = inputs.fixHashes !== 'report'
    hashes = await reporter.group('Stale fixed-output hashes', () =>
      runFixHashesStage({
        mode: inputs.fixHashes === 'off' ? 'report' : inputs.fixHashes,
        flake: inputs.flake,
        package: inputs.package,
        systems: inputs.systems,
        nix: context.nix,
        reporter,
        repoDir: context.cwd,
        firstBuild: build,
        firstReports: parser.finish(),
        recheck: inputs.checkFods,
        base: context.base,
        signal: context.signal
      })
    )
    reportHashes(hashes, reporter, keep)
    if (hashes.status !== 'clean') {
      failures.push(
        `Stale fixed-output hashes: ${hashes.fixes.length} fixed and verified${keep ? ' (in the work tree)' : ' (reported only)'}, ${hashes.problems.length} not fixed`
      )
    }
  }
  return { ok: failures.length === 0, build, hashes, failures }
}
