// The action: reads inputs from the INPUT_* environment GitHub sets, runs the pipeline, writes the
// outputs and the job summary, and fails the step with a message that says what to do.
import * as core from '@actions/core'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGitHubClient } from './github/client.js'
import { readRunContext } from './github/context.js'
import { InputError, parseInputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import { scrubInitialEnviron } from './initial-environ.js'
import { secretsInEnvironment, withoutAccessTokens } from './process-env.js'
import { refuseBeforeBuild, writeModesOf } from './github/event-safety.js'
import { flakeRepository, GitHubTarget, runPipeline } from './pipeline.js'
import { ActionReporter } from './report/action-reporter.js'
import { cancelOnSignals } from './signals.js'

/** The inputs that hold secrets: read once, then dropped from process.env. */
const SECRET_INPUTS = ['github-token', 'cache-signing-key', 'push-signing-key', 'builders-ssh-key']

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

function gitHubTarget(env: NodeJS.ProcessEnv, token: string, log: (message: string) => void): GitHubTarget | undefined {
  if (!env.GITHUB_REPOSITORY || !token) return undefined
  const context = readRunContext(env)
  return {
    octokit: createGitHubClient({ token, baseUrl: context.apiUrl, log }),
    owner: context.owner,
    repo: context.repo,
    sha: context.sha,
    context,
    // The default token is not in the environment unless a workflow puts it there; otherwise the
    // stage tells by the identity GitHub gives the commit it creates.
    defaultToken: env.GITHUB_TOKEN ? token === env.GITHUB_TOKEN : undefined
  }
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const reporter = new ActionReporter()
  const cancellation = cancelOnSignals(signal => reporter.warning(`Received ${signal}: stopping Nix and reporting what finished`))
  try {
    // Masked before anything is printed, an input error included.
    for (const secret of secretsInEnvironment(env)) reporter.setSecret(secret)
    // Before any flake code runs: the secrets leave /proc/<pid>/environ, where any process of this
    // user can read them (initial-environ.ts).
    const scrub = scrubInitialEnviron()
    if ('failed' in scrub) reporter.debug(`Secrets stay readable in /proc/${process.pid}/environ: ${scrub.failed}`)
    let inputs: ReturnType<typeof parseInputs>
    try {
      inputs = parseInputs(name => actionInput(env, name))
    } finally {
      // Read once, valid or not; nothing needs them in the environment any more. (ACTIONS_RUNTIME_TOKEN
      // stays: @actions/cache and @actions/artifact read it from process.env whenever they call the service.)
      for (const name of SECRET_INPUTS) delete process.env[`INPUT_${name.toUpperCase()}`]
    }
    reporter.setSecret(inputs.githubToken)
    reporter.setSecret(inputs.cacheSigningKey)
    // The key's text and each of its lines (a log line never holds the whole multi-line key).
    for (const secret of [inputs.buildersSshKey, ...inputs.buildersSshKey.split('\n').filter(l => l.trim().length >= 8)])
      reporter.setSecret(secret)
    for (const secret of withoutAccessTokens(inputs.extraNixConfig).secrets) reporter.setSecret(secret)
    // Before anything builds: a write token must never build code from a fork, nor pull request
    // code a workflow_run / issue_comment job checked out instead of its trusted commit.
    const cwd = env.GITHUB_WORKSPACE || process.cwd()
    const unsafe = env.GITHUB_REPOSITORY
      ? await refuseBeforeBuild(readRunContext(env), writeModesOf(inputs), await flakeRepository(inputs.flake, cwd))
      : undefined
    if (unsafe) {
      core.setFailed(unsafe)
      return
    }
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig, callLog: [] }),
      reporter,
      cwd,
      signal: cancellation.signal,
      base: baseCommit(env),
      // dist/index.js sits one folder below the action's root, where flake.nix and nix/ are.
      actionDir: env.GITHUB_ACTION_PATH || resolve(dirname(fileURLToPath(import.meta.url)), '..'),
      github: gitHubTarget(env, inputs.githubToken, message => reporter.warning(message))
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
