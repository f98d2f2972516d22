// The two matrix roles of the pipeline. `matrix: build`: the usual pipeline for this job's
// system(s), hash fixes verified but only reported, no release; then its result goes out as an
// artifact. `matrix: aggregate`: gathers them (aggregate-stage.ts), then the one fix PR and the
// release, as a one-job run would make them.
import { errorMessage } from './errors.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Inputs } from './inputs.js'
import type { PipelineContext, PipelineResult } from './pipeline.js'
import {
  RESULT_FILE,
  artifactName,
  artifactServiceUnavailableReason,
  downloadSystemResults,
  uploadSystemResult
} from './artifact/transport.js'
import { deliverFixes } from './stages/pull-request/from-inputs.js'
import { releaseFromInputs } from './stages/release/from-inputs.js'
import { runAggregateStage } from './stages/aggregate/aggregate-stage.js'
import type { SystemState } from './stages/aggregate/merge.js'
import { systemResultOf } from './stages/aggregate/system-result.js'

type Pipeline = (inputs: Inputs, context: PipelineContext) => Promise<PipelineResult>

export async function runMatrixJob(inputs: Inputs, context: PipelineContext, pipeline: Pipeline): Promise<PipelineResult> {
  const { reporter } = context
  const unavailable = artifactServiceUnavailableReason()
  if (unavailable) {
    const message = `matrix: build hands its result on as an artifact, but ${unavailable}.`
    reporter.error(message, { title: 'matrix: no artifact service' })
    return { ok: false, failures: [message] }
  }
  // The fix PR and the release belong to the aggregate job, which sees every system.
  const result = await pipeline(
    { ...inputs, matrix: 'off', fixHashes: inputs.fixHashes === 'off' ? 'off' : 'report', release: 'off' },
    context
  )
  // A stale hash is the aggregate's to fix: here it is a finding, not this job's failure.
  const failures = result.failures.filter(f => !f.startsWith('Stale fixed-output hashes'))
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-matrix-'))
  try {
    for (const system of inputs.systems) {
      writeFileSync(join(dir, RESULT_FILE), JSON.stringify(systemResultOf(system, result, runCommit(context)), null, 2))
      await reporter.group(`Matrix result for ${system}`, async () => {
        const id = await uploadSystemResult(system, dir)
        reporter.info(`Uploaded artifact ${artifactName(system)} (id ${id}) for the aggregate job`)
      })
    }
  } catch (error) {
    failures.push(`Could not hand the result on to the aggregate job: ${errorMessage(error)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { ...result, ok: failures.length === 0, failures }
}

export async function runMatrixAggregate(inputs: Inputs, context: PipelineContext): Promise<PipelineResult> {
  const { reporter } = context
  const unavailable = artifactServiceUnavailableReason()
  if (unavailable) {
    const message = `matrix: aggregate gathers the matrix jobs' artifacts, but ${unavailable}.`
    reporter.error(message, { title: 'matrix: no artifact service' })
    return { ok: false, failures: [message] }
  }
  const writes = inputs.fixHashes === 'pull-request' || inputs.fixHashes === 'commit'
  const aggregate = await runAggregateStage({
    systems: inputs.systems,
    download: downloadSystemResults,
    reporter,
    writeFixesTo: writes && !context.github?.context.pullRequest ? context.cwd : undefined,
    commit: runCommit(context)
  })
  const failures = [...aggregate.failures]
  const github = context.github
  let pullRequest: PipelineResult['pullRequest']
  if (writes && github && !(inputs.fixHashes === 'pull-request' && github.context.pullRequest)) {
    pullRequest = await deliverFixes(inputs, github, aggregate.hashes, aggregate.decision.allGreen, context.cwd, reporter)
    if (!pullRequest.ok) failures.push(...pullRequest.failures)
  }
  let release: PipelineResult['release']
  if (inputs.release === 'tag') {
    // Only when every system is green and every hash stands.
    const notGreen = notGreenReason(aggregate.decision.systems, aggregate.hashes.status === 'clean')
    const buildOk = notGreen === undefined
    release = await releaseFromInputs(
      inputs,
      { github, system: inputs.systems[0], buildOk, notGreen, cwd: context.cwd, nix: context.nix, reporter, signal: context.signal },
      failures
    )
  }
  return { ok: failures.length === 0, hashes: aggregate.hashes, pullRequest, release, failures }
}

/**
 * The commit this workflow run is for: every job of the run has the same GITHUB_SHA, with or
 * without a token. The aggregate counts only results that name it (unknown outside Actions).
 */
function runCommit(context: PipelineContext): string | undefined {
  return context.github?.sha || process.env.GITHUB_SHA || undefined
}

/** What keeps the matrix from being green, in the words of the release's refusal. */
function notGreenReason(systems: SystemState[], hashesClean: boolean): string | undefined {
  const missing = systems.filter(s => s.state === 'missing').map(s => s.system)
  const failed = systems.filter(s => s.state === 'failed').map(s => s.system)
  const reasons = [
    ...(failed.length ? [`the build failed for ${failed.join(', ')}`] : []),
    ...(missing.length ? [`no matrix job handed on a result for ${missing.join(', ')}`] : []),
    ...(hashesClean ? [] : ['the systems found stale fixed-output hashes'])
  ]
  return reasons.length ? reasons.join('; ') : undefined
}
