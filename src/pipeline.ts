// Runs the stages the inputs ask for, in order. Shared by the action (main.ts) and the CLI (cli.ts):
// only the reporter differs.
import type { Inputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import type { Reporter } from './report/reporter.js'
import { reportBuild } from './stages/build/build-report.js'
import { runBuildStage } from './stages/build/build-stage.js'
import type { BuildStageResult } from './stages/build/types.js'

export interface PipelineContext {
  nix: NixRunner
  reporter: Reporter
  cwd: string
  signal?: AbortSignal
}

export interface PipelineResult {
  ok: boolean
  build?: BuildStageResult
  /** Human-readable reasons the run failed. */
  failures: string[]
}

/** Stages that exist in action.yml but are not built in this version: said plainly, never faked. */
interface UnbuiltStageRequest {
  stage: string
  requested: string
  /** The input value that turns the stage off. */
  off: string
  /** Explicit requests fail the run; defaults only get a notice. */
  fatal: boolean
}

export function unbuiltStageRequests(inputs: Inputs): UnbuiltStageRequest[] {
  const requests: UnbuiltStageRequest[] = []
  if (inputs.fixHashes !== 'off') requests.push({ stage: 'fix-hashes', requested: inputs.fixHashes, off: 'off', fatal: inputs.fixHashes !== 'pull-request' })
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
  for (const request of unbuiltStageRequests(inputs)) {
    const message = `The '${request.stage}' stage (${request.stage}: ${request.requested}) is not built in this version of nix-ci, so it does not run. Set '${request.stage}: ${request.off}' ${request.fatal ? 'until it is' : 'to silence this'}.`
    if (request.fatal) {
      reporter.error(message, { title: `${request.stage}: not available yet` })
      failures.push(message)
    } else {
      reporter.notice(message, { title: `${request.stage}: not available yet` })
    }
  }
  if (failures.length > 0) return { ok: false, failures }
  reporter.setOutput('vm-test-result', 'skipped')
  reporter.setOutput('pull-request-operation', 'none')

  const build = await runBuildStage({
    flake: inputs.flake,
    package: inputs.package,
    systems: inputs.systems,
    nix: context.nix,
    reporter,
    cwd: context.cwd,
    signal: context.signal
  })
  await reportBuild(build, reporter)
  if (!build.ok) {
    const failed = build.systems.filter(s => s.status !== 'built').map(s => `${s.system} (${s.status})`)
    failures.push(build.cancelled ? `Build cancelled; unfinished: ${failed.join(', ')}` : `Build failed for ${failed.join(', ')}`)
  }
  return { ok: failures.length === 0, build, failures }
}
