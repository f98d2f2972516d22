// The release as the action's inputs ask for it, in its log group: the one call the single-job
// pipeline and the matrix's aggregate job share. Without a repository it says what is missing.
import type { Inputs } from '../../inputs.js'
import type { NixRunner } from '../../nix/runner.js'
import type { GitHubTarget } from '../../github/context.js'
import type { Reporter } from '../../report/reporter.js'
import { runReleaseStage, type ReleaseStageResult } from './release-stage.js'

export interface ReleaseRun {
  github?: GitHubTarget
  /** The system whose package's version is read (`version-from: flake`). */
  system: string
  buildOk: boolean
  notGreen?: string
  vmTestOk?: boolean
  cwd: string
  nix: NixRunner
  reporter: Reporter
  signal?: AbortSignal
}

export async function releaseFromInputs(inputs: Inputs, run: ReleaseRun, failures: string[]): Promise<ReleaseStageResult | undefined> {
  const { github, reporter } = run
  if (!github) {
    const message =
      "release: tag needs the repository and a token: it runs inside GitHub Actions (GITHUB_REPOSITORY, GITHUB_SHA, 'github-token'), " +
      'or from the CLI with --repo OWNER/NAME --sha SHA and GITHUB_TOKEN set.'
    reporter.error(message, { title: 'release: no GitHub repository' })
    failures.push(message)
    return undefined
  }
  const release = await reporter.group('Release', () =>
    runReleaseStage({
      versionFrom: inputs.versionFrom,
      tagPrefix: inputs.tagPrefix,
      majorTag: inputs.majorTag,
      cwd: run.cwd,
      flake: inputs.flake,
      package: inputs.package,
      system: run.system,
      nix: run.nix,
      reporter,
      octokit: github.octokit,
      owner: github.owner,
      repo: github.repo,
      commitSha: github.sha,
      trigger: {
        eventName: github.context.eventName,
        ref: github.context.ref,
        defaultBranch: github.context.defaultBranch,
        releaseBranches: inputs.releaseBranches
      },
      buildOk: run.buildOk,
      notGreen: run.notGreen,
      vmTestOk: run.vmTestOk,
      signal: run.signal
    })
  )
  if (!release.ok) failures.push(...release.failures)
  return release
}
