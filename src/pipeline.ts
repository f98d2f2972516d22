// Runs the stages the inputs ask for, in order. Shared by the action (main.ts) and the CLI (cli.ts):
// only the reporter differs. Each stage reports for itself; this file only sequences them, one
// step per stage, and gathers their failures.
import { resolve } from 'node:path'
import { restoreNixCache, saveNixCache } from './cache/index.js'
import { topLevel } from './git/git.js'
import type { GitHubTarget } from './github/context.js'
import { type Inputs, nixConfigWarnings } from './inputs.js'
import type { MismatchParser } from './hashes/mismatch-parser.js'
import { withoutAccessTokens } from './process-env.js'
import { pushBuilt } from './push/index.js'
import { describeTiming } from './report/timing.js'
import { runMatrixAggregate, runMatrixJob } from './matrix.js'
import { runBuildStage } from './stages/build/build-stage.js'
import type { BuildStageResult } from './stages/build/types.js'
import { liveMismatchParser } from './stages/fix-hashes/discover.js'
import { runFixHashesStage } from './stages/fix-hashes/fix-hashes-stage.js'
import type { FixHashesResult } from './stages/fix-hashes/types.js'
import { deliverFixes } from './stages/pull-request/from-inputs.js'
import type { PullRequestStageResult } from './stages/pull-request/pull-request-stage.js'
import { releaseFromInputs } from './stages/release/from-inputs.js'
import type { ReleaseStageResult } from './stages/release/release-stage.js'
import { type StageEnv, type StageOutcome, stageEnv } from './stages/stage.js'
import { VmTestResult, runVmTestStage } from './stages/vm-test/vm-test-stage.js'

export type { GitHubTarget } from './github/context.js'

export interface PipelineContext extends StageEnv {
  cwd: string
  /** Base commit for the stale-hash re-check (PR base, push `before`, or the CLI's --base). */
  base?: string
  /** nix-ci's own folder: the built-in VM test (flake.nix and nix/) lives there. */
  actionDir: string
  /** Where the fix PR and releases go; absent outside GitHub Actions unless the CLI was told. */
  github?: GitHubTarget
}

export interface PipelineResult {
  ok: boolean
  build?: BuildStageResult
  hashes?: FixHashesResult
  pullRequest?: PullRequestStageResult
  vmTest?: VmTestResult
  release?: ReleaseStageResult
  /** Human-readable reasons the run failed. */
  failures: string[]
}

type Run = Omit<PipelineResult, 'ok'>

export async function runPipeline(inputs: Inputs, context: PipelineContext): Promise<PipelineResult> {
  if (inputs.matrix === 'aggregate') return runMatrixAggregate(inputs, context)
  if (inputs.matrix === 'build') return runMatrixJob(inputs, context, runPipeline)
  const run: Run = { failures: [] }
  const gather = <T extends StageOutcome | undefined>(outcome: T): T => {
    if (outcome && !outcome.ok) run.failures.push(...outcome.failures)
    return outcome
  }
  announce(inputs, context)
  const restored = inputs.cache ? await restoreNixCache(cacheOptions(inputs, context)) : undefined
  const parser = inputs.fixHashes !== 'off' ? liveMismatchParser() : undefined
  const build = (run.build = gather(await buildStep(inputs, context, parser)))
  if (parser && !build.cancelled) {
    const cachedPaths = new Set(restored?.restoredPaths ?? [])
    run.hashes = gather(await fixHashesStep(inputs, context, build, parser, cachedPaths))
    run.pullRequest = gather(await pullRequestStep(inputs, context, run.hashes, build.ok, run.failures))
  }
  const hashesClean = run.hashes === undefined || run.hashes.status === 'clean'
  // Saved and pushed only after the hash check: a stale fixed output must not be cached as good.
  if (inputs.cache) await cacheStep(inputs, context, build, restored, hashesClean)
  if (inputs.pushTo && !build.cancelled) await pushStep(inputs, context, build, hashesClean, run.failures)
  if (inputs.vmTest.mode !== 'off' && !build.cancelled) run.vmTest = gather(await vmTestStep(inputs, context, build))
  if (inputs.release === 'tag' && !build.cancelled) {
    const red = notGreen(build, hashesClean)
    const vmTestOk = run.vmTest === undefined || run.vmTest.result === 'skipped' ? undefined : run.vmTest.result === 'passed'
    run.release = await releaseFromInputs(
      inputs,
      {
        ...stageEnv(context),
        cwd: context.cwd,
        github: context.github,
        system: build.hostSystem,
        buildOk: red === undefined,
        notGreen: red,
        vmTestOk
      },
      run.failures
    )
  }
  for (const line of describeTiming([], context.nix.callLog)) context.reporter.debug(`this run's ${line}`)
  return { ok: run.failures.length === 0, ...run }
}

function notGreen(build: BuildStageResult, hashesClean: boolean): string | undefined {
  if (!build.ok) return 'the build failed in this run'
  return hashesClean ? undefined : 'this run found stale fixed-output hashes'
}

/** Warnings about the run's own settings, before anything runs. */
function announce(inputs: Inputs, { reporter }: PipelineContext): void {
  reporter.setOutput('vm-test-result', 'skipped')
  reporter.setOutput('pull-request-operation', 'none')
  for (const warning of nixConfigWarnings(inputs.extraNixConfig)) reporter.warning(warning, { title: 'extra-nix-config weakens Nix' })
  if (withoutAccessTokens(process.env.NIX_CONFIG ?? '').secrets.length > 0) {
    reporter.warning(
      "NIX_CONFIG holds access-tokens, which nix-ci does not pass to Nix: a fixed-output derivation can read any variable of Nix's environment. " +
        "Put them in a nix.conf only root can read (/etc/nix/nix.conf; install-nix-action's `github_access_token` does that).",
      { title: 'access-tokens not passed to Nix' }
    )
  }
}

function cacheOptions(inputs: Inputs, context: PipelineContext) {
  return {
    nix: context.nix,
    reporter: context.reporter,
    cwd: context.cwd,
    flake: inputs.flake,
    systems: inputs.systems,
    signal: context.signal,
    signingKey: inputs.cacheSigningKey || undefined
  }
}

function buildStep(inputs: Inputs, context: PipelineContext, parser: MismatchParser | undefined): Promise<BuildStageResult> {
  return runBuildStage({
    ...stageEnv(context),
    flake: inputs.flake,
    package: inputs.package,
    systems: inputs.systems,
    observe: parser?.onLine,
    outputs: inputs.outputs,
    // The VM test stage builds its own check; the build stage must not build it first.
    exclude:
      inputs.vmTest.mode === 'attribute' ? [{ attrPath: inputs.vmTest.attribute, reason: 'the VM test stage builds it (vm-test)' }] : [],
    remote: { builders: inputs.builders, sshKey: inputs.buildersSshKey, fallback: inputs.remoteFallback }
  })
}

async function fixHashesStep(
  inputs: Inputs,
  context: PipelineContext,
  build: BuildStageResult,
  parser: MismatchParser,
  cachedPaths: Set<string>
): Promise<FixHashesResult> {
  return runFixHashesStage({
    ...stageEnv(context),
    cwd: context.cwd,
    mode: inputs.fixHashes === 'off' ? 'report' : inputs.fixHashes,
    flake: inputs.flake,
    package: inputs.package,
    systems: inputs.systems,
    repoDir: await flakeRepository(inputs.flake, context.cwd),
    firstBuild: build,
    firstReports: parser.finish(),
    recheck: inputs.checkFods,
    base: context.base,
    cachedPaths
  })
}

/**
 * The git repository holding a local flake (`.`, `./sub`, `path:./sub`, an absolute path): where its
 * hashes are written. Anything else (a remote flake) falls back to the workspace.
 */
export async function flakeRepository(flake: string, cwd: string): Promise<string> {
  const local = /^(?:path:|git\+file:(?:\/\/)?)?([^?#]*)/.exec(flake)?.[1] ?? ''
  if (/^[a-z][a-z0-9+.-]*:/i.test(flake) && !/^(path|git\+file):/.test(flake)) return cwd
  try {
    return await topLevel(resolve(cwd, local || '.'))
  } catch {
    return cwd
  }
}

/** fix-hashes: pull-request / commit. Also runs when the hashes are clean: that closes a stale fix PR. */
async function pullRequestStep(
  inputs: Inputs,
  context: PipelineContext,
  hashes: FixHashesResult,
  buildOk: boolean,
  failures: string[]
): Promise<PullRequestStageResult | undefined> {
  if (inputs.fixHashes !== 'pull-request' && inputs.fixHashes !== 'commit') return undefined
  const { github, reporter } = context
  if (!github && hashes.status === 'clean') {
    reporter.notice(`fix-hashes: ${inputs.fixHashes}: no stale hash; outside GitHub Actions there is no fix pull request to look after.`)
    return undefined
  }
  if (!github) {
    const message =
      `fix-hashes: ${inputs.fixHashes} needs the repository and a token: it runs inside GitHub Actions (GITHUB_REPOSITORY and 'github-token'). ` +
      "The verified fix is in the work tree; from a terminal use `nix-ci fix-hashes --write` (or 'fix-hashes: write')."
    reporter.error(message, { title: 'fix-hashes: no GitHub repository' })
    failures.push(message)
    return undefined
  }
  // The default mode meets pull requests too: there the verified fix is reported (annotations at
  // file:line), and the fix PR comes from the push to the base branch.
  if (inputs.fixHashes === 'pull-request' && github.context.pullRequest) {
    if (hashes.fixes.length > 0) {
      reporter.notice(
        `fix-hashes: pull-request proposes fixes from pushes to the base branch; on pull request #${github.context.pullRequest.number} ` +
          "the verified fix is in the annotations. To push it onto this pull request's branch (Dependabot, Renovate), run with 'fix-hashes: commit'."
      )
    }
    return undefined
  }
  return deliverFixes(inputs, github, hashes, buildOk, context.cwd, reporter)
}

async function cacheStep(
  inputs: Inputs,
  context: PipelineContext,
  build: BuildStageResult,
  restored: Awaited<ReturnType<typeof restoreNixCache>> | undefined,
  hashesClean: boolean
): Promise<void> {
  if (hashesClean) await saveNixCache({ ...cacheOptions(inputs, context), build, restored, maxSizeBytes: inputs.cacheMaxSize })
  else context.reporter.info('Cache: not saved, the run found stale fixed-output hashes.')
}

async function pushStep(
  inputs: Inputs,
  context: PipelineContext,
  build: BuildStageResult,
  hashesClean: boolean,
  failures: string[]
): Promise<void> {
  const target = inputs.pushTo
  if (!target) return
  if (!hashesClean) return context.reporter.info(`Push to ${target.display}: skipped, the run found stale fixed-output hashes.`)
  if (build.builtDerivations.length === 0) return context.reporter.info(`Push to ${target.display}: nothing was built in this run.`)
  const failed = await pushBuilt({
    nix: build.nix,
    reporter: context.reporter,
    target,
    builtDerivations: build.builtDerivations,
    signingKey: inputs.pushSigningKey || undefined,
    required: inputs.pushRequired,
    signal: context.signal
  })
  if (failed !== undefined) failures.push(failed)
}

async function vmTestStep(inputs: Inputs, context: PipelineContext, build: BuildStageResult): Promise<VmTestResult | undefined> {
  if (!build.ok) {
    context.reporter.notice('NixOS VM test skipped: the build did not pass for every system.', { title: 'vm-test: skipped' })
    return undefined
  }
  return runVmTestStage({
    ...stageEnv(context),
    actionDir: context.actionDir,
    mode: inputs.vmTest,
    flake: inputs.flake,
    service: inputs.service,
    servicePort: inputs.servicePort,
    healthPath: inputs.healthPath,
    timeoutMinutes: inputs.vmTestTimeout
  })
}
