// Runs the stages the inputs ask for, in order. Shared by the action (main.ts) and the CLI (cli.ts):
// only the reporter differs.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { type Inputs, nixConfigWarnings } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import { childEnv, withoutAccessTokens } from './process-env.js'
import type { Reporter } from './report/reporter.js'
import { reportBuild } from './stages/build/build-report.js'
import { describeTiming } from './report/timing.js'
import { runBuildStage } from './stages/build/build-stage.js'
import type { BuildStageResult } from './stages/build/types.js'
import { liveMismatchParser } from './stages/fix-hashes/discover.js'
import { runFixHashesStage } from './stages/fix-hashes/fix-hashes-stage.js'
import { reportHashes } from './stages/fix-hashes/hashes-report.js'
import type { FixHashesResult } from './stages/fix-hashes/types.js'
import type { GitHubClient } from './github/client.js'
import type { RunContext } from './github/context.js'
import { deliverFixes } from './stages/pull-request/from-inputs.js'
import { releaseFromInputs } from './stages/release/from-inputs.js'
import type { PullRequestStageResult } from './stages/pull-request/pull-request-stage.js'
import { restoreNixCache, saveNixCache } from './cache/index.js'
import { pushBuilt } from './push/index.js'
import type { ReleaseStageResult } from './stages/release/release-stage.js'
import { VmTestResult, runVmTestStage } from './stages/vm-test/vm-test-stage.js'
import { runMatrixAggregate, runMatrixJob } from './stages/aggregate/matrix.js'

/** What the release stage needs of GitHub: a client, the repository and the commit that was built. */
export interface GitHubTarget {
  octokit: GitHubClient
  owner: string
  repo: string
  sha: string
  /** The event this run is for (pull request, push): the fix PR stage decides by it. */
  context: RunContext
  /** True when the token is the default GITHUB_TOKEN (its pushes start no workflow runs). */
  defaultToken?: boolean
}

export interface PipelineContext {
  nix: NixRunner
  reporter: Reporter
  cwd: string
  signal?: AbortSignal
  /** Base commit for the stale-hash re-check (PR base, push `before`, or the CLI's --base). */
  base?: string
  /** The CLI's `fix-hashes --write`: keep verified fixes in the work tree, no PR step. */
  writeFixesOnly?: boolean
  /** nix-ci's own folder: the built-in VM test (flake.nix and nix/) lives there. */
  actionDir: string
  /** Where releases go; absent outside GitHub Actions unless the CLI was told. */
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

export async function runPipeline(inputs: Inputs, context: PipelineContext): Promise<PipelineResult> {
  if (inputs.matrix === 'aggregate') return runMatrixAggregate(inputs, context)
  if (inputs.matrix === 'build') return runMatrixJob(inputs, context, runPipeline)
  const { reporter } = context
  const failures: string[] = []
  reporter.setOutput('vm-test-result', 'skipped')
  reporter.setOutput('pull-request-operation', 'none')
  for (const warning of nixConfigWarnings(inputs.extraNixConfig)) reporter.warning(warning, { title: 'extra-nix-config weakens Nix' })
  if (withoutAccessTokens(process.env.NIX_CONFIG ?? '').secrets.length > 0) {
    reporter.warning(
      'NIX_CONFIG holds access-tokens, which nix-ci does not pass to Nix: a fixed-output derivation can read any variable of Nix\'s environment. ' +
        'Put them in a nix.conf only root can read (/etc/nix/nix.conf; install-nix-action\'s `github_access_token` does that).',
      { title: 'access-tokens not passed to Nix' }
    )
  }

  const cacheOptions = {
    nix: context.nix,
    reporter,
    cwd: context.cwd,
    flake: inputs.flake,
    systems: inputs.systems,
    signal: context.signal,
    signingKey: inputs.cacheSigningKey || undefined
  }
  const restored = inputs.cache ? await restoreNixCache(cacheOptions) : undefined
  const parser = inputs.fixHashes !== 'off' ? liveMismatchParser() : undefined
  const build = await runBuildStage({
    flake: inputs.flake,
    package: inputs.package,
    systems: inputs.systems,
    nix: context.nix,
    reporter,
    cwd: context.cwd,
    signal: context.signal,
    observe: parser?.onLine,
    outputs: inputs.outputs,
    // The VM test stage builds its own check; the build stage must not build it first.
    exclude: inputs.vmTest.mode === 'attribute' ? [{ attrPath: inputs.vmTest.attribute, reason: 'the VM test stage builds it (vm-test)' }] : [],
    remote: { builders: inputs.builders, sshKey: inputs.buildersSshKey, fallback: inputs.remoteFallback }
  })
  await reportBuild(build, reporter)
  for (const line of describeTiming(build.phases)) reporter.debug(`build stage ${line}`)
  if (!build.ok) {
    const failed = build.systems.filter(s => s.status !== 'built').map(s => `${s.system} (${s.status})`)
    failures.push(build.cancelled ? `Build cancelled; unfinished: ${failed.join(', ')}` : `Build failed for ${failed.join(', ')}`)
  }

  let hashes: FixHashesResult | undefined
  let pullRequest: PullRequestStageResult | undefined
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
        repoDir: flakeRepository(inputs.flake, context.cwd),
        cwd: context.cwd,
        firstBuild: build,
        firstReports: parser.finish(),
        recheck: inputs.checkFods,
        base: context.base,
        cachedPaths: new Set(restored?.restoredPaths ?? []),
        signal: context.signal
      })
    )
    reportHashes(hashes, reporter, keep)
    if (keep) pullRequest = await runFixPullRequest(inputs, context, hashes, build.ok, failures)
    if (hashes.status !== 'clean') {
      failures.push(
        `Stale fixed-output hashes: ${hashes.fixes.length} fixed and verified${keep ? ' (in the work tree)' : ' (reported only)'}, ${hashes.problems.length} not fixed`
      )
    }
  }
  const hashesClean = hashes === undefined || hashes.status === 'clean'
  // Saved only after the hash check: a stale fixed output must not be cached as good.
  if (inputs.cache) {
    if (hashesClean) await saveNixCache({ ...cacheOptions, build, restored, maxSizeBytes: inputs.cacheMaxSize })
    else reporter.info('Cache: not saved, the run found stale fixed-output hashes.')
  }
  // Pushed after the hash check too: a stale fixed output must not reach a shared cache.
  if (inputs.pushTo && !build.cancelled) {
    if (!hashesClean) reporter.info(`Push to ${inputs.pushTo.display}: skipped, the run found stale fixed-output hashes.`)
    else if (build.builtDerivations.length === 0) reporter.info(`Push to ${inputs.pushTo.display}: nothing was built in this run.`)
    else {
      const failed = await pushBuilt({
        nix: build.nix,
        reporter,
        target: inputs.pushTo,
        builtDerivations: build.builtDerivations,
        signingKey: inputs.pushSigningKey || undefined,
        required: inputs.pushRequired,
        signal: context.signal
      })
      if (failed !== undefined) failures.push(failed)
    }
  }

  let vmTest: VmTestResult | undefined
  if (inputs.vmTest.mode !== 'off' && !build.cancelled) {
    if (!build.ok) {
      reporter.notice('NixOS VM test skipped: the build did not pass for every system.', { title: 'vm-test: skipped' })
    } else {
      vmTest = await runVmTestStage({
        mode: inputs.vmTest,
        flake: inputs.flake,
        service: inputs.service,
        servicePort: inputs.servicePort,
        healthPath: inputs.healthPath,
        timeoutMinutes: inputs.vmTestTimeout,
        actionDir: context.actionDir,
        nix: context.nix,
        reporter,
        cwd: context.cwd,
        signal: context.signal
      })
      if (vmTest.result === 'failed') failures.push(`NixOS VM test failed: ${vmTest.reason}`)
    }
  }

  let release: ReleaseStageResult | undefined
  if (inputs.release === 'tag' && !build.cancelled) {
    release = await releaseFromInputs(
      inputs,
      {
        github: context.github,
        system: build.hostSystem,
        buildOk: build.ok && hashesClean,
        vmTestOk: vmTest === undefined || vmTest.result === 'skipped' ? undefined : vmTest.result === 'passed',
        cwd: context.cwd,
        nix: context.nix,
        reporter,
        signal: context.signal
      },
      failures
    )
  }
  for (const line of describeTiming([], context.nix.callLog)) reporter.debug(`this run's ${line}`)
  return { ok: failures.length === 0, build, hashes, pullRequest, vmTest, release, failures }
}

/**
 * The git repository holding a local flake (`.`, `./sub`, `path:./sub`, an absolute path): where its
 * hashes are written. Anything else (a remote flake) falls back to the workspace.
 */
export function flakeRepository(flake: string, cwd: string): string {
  const local = /^(?:path:|git\+file:(?:\/\/)?)?([^?#]*)/.exec(flake)?.[1] ?? ''
  if (/^[a-z][a-z0-9+.-]*:/i.test(flake) && !/^(path|git\+file):/.test(flake)) return cwd
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: resolve(cwd, local || '.'), env: childEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return cwd
  }
}

/** fix-hashes: pull-request / commit. Also runs when the hashes are clean: that closes a stale fix PR. */
async function runFixPullRequest(
  inputs: Inputs,
  context: PipelineContext,
  hashes: FixHashesResult,
  buildOk: boolean,
  failures: string[]
): Promise<PullRequestStageResult | undefined> {
  if (context.writeFixesOnly || (inputs.fixHashes !== 'pull-request' && inputs.fixHashes !== 'commit')) return undefined
  const github = context.github
  if (!github && hashes.status === 'clean') {
    context.reporter.notice(`fix-hashes: ${inputs.fixHashes}: no stale hash; outside GitHub Actions there is no fix pull request to look after.`)
    return undefined
  }
  if (!github) {
    const message =
      `fix-hashes: ${inputs.fixHashes} needs the repository and a token: it runs inside GitHub Actions (GITHUB_REPOSITORY and 'github-token'). ` +
      'The verified fix is in the work tree; from a terminal use `nix-ci fix-hashes --write`.'
    context.reporter.error(message, { title: 'fix-hashes: no GitHub repository' })
    failures.push(message)
    return undefined
  }
  // The default mode meets pull requests too: there the verified fix is reported (annotations at
  // file:line), and the fix PR comes from the push to the base branch.
  if (inputs.fixHashes === 'pull-request' && github.context.pullRequest) {
    if (hashes.fixes.length > 0) {
      context.reporter.notice(
        `fix-hashes: pull-request proposes fixes from pushes to the base branch; on pull request #${github.context.pullRequest.number} ` +
          "the verified fix is in the annotations. To push it onto this pull request's branch (Dependabot, Renovate), run with 'fix-hashes: commit'."
      )
    }
    return undefined
  }
  const result = await deliverFixes(inputs, github, hashes, buildOk, context.cwd, context.reporter)
  if (!result.ok) failures.push(...result.failures)
  return result
}
