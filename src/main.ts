// The action: reads inputs from the INPUT_* environment GitHub sets, runs the pipeline, writes the
// outputs and the job summary, and fails the step with a message that says what to do.
import * as core from '@actions/core'
import { readRunContext } from './github/context.js'
import { InputError, parseInputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import { runPipeline } from './pipeline.js'
import { ActionReporter } from './report/action-reporter.js'
import { cancelOnSignals } from './signals.js'

/** INPUT_<NAME> as @actions/core spells it, but undefined when unset (so '' can mean empty). */
export function actionInput(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]
}

/** The commit a change is compared with: the PR's base, or what a push replaced. */
function baseCommit(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_REPOSITORY) return undefined
  const context = readRunContext(env)
  return context.pullRequest?.baseSha ?? context.before
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const reporter = new ActionReporter()
  const cancellation = cancelOnSignals(signal => reporter.warning(`Received ${signal}: stopping Nix and reporting what finished`))
  try {
    const inputs = parseInputs(name => actionInput(env, name))
    reporter.setSecret(inputs.githubToken)
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig }),
      reporter,
      cwd: env.GITHUB_WORKSPACE || process.cwd(),
      signal: cancellation.signal,
      base: baseCommit(env)
    })
    if (!result.ok) core.setFailed(result.failures.join('\n'))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    core.setFailed(error instanceof InputError ? message : `nix-ci failed: ${message}`)
  } finally {
    cancellation.dispose()
    await reporter.writeSummary()
  }
}
