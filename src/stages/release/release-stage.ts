// The release stage: read the version, decide against the repository's tags, then tag the built
// commit, publish a GitHub release and move the `v1`/`v1.2` tags. Only a green run releases.
import { markdownCode, markdownProse } from '../../report/markdown.js'
import type { VersionFrom } from '../../inputs.js'
import { explainGitHubError, type GitHubClient } from '../../github/client.js'
import type { StageEnv, StageOutcome } from '../stage.js'
import { decideRelease, tagsNeedingCommits, type ReleaseDecision } from './decide.js'
import { createAnnotatedTag, ensureRelease, existingTags, listTagRefs, moveTagForward, type MoveOutcome, type Repo } from './github-tags.js'
import { releaseRefusal, type ReleaseTrigger } from './release-trigger.js'
import { readVersion, VersionSourceError, whereToBump, type VersionReading } from './version-source.js'

export interface ReleaseStageOptions extends StageEnv {
  versionFrom: VersionFrom
  tagPrefix: string
  majorTag: boolean
  /** The repository checkout (where mix.exs / package.json / flake.nix are). */
  cwd: string
  flake: string
  package: string
  /** The host system, for `packages.<system>.<package>.version`. */
  system: string
  octokit: GitHubClient
  owner: string
  repo: string
  /** The commit that was built; the tag points here. */
  commitSha: string
  /** The event and ref of the run: only a push to the default branch or a release branch releases. */
  trigger: ReleaseTrigger
  buildOk: boolean
  /** Why the run is not green, when the caller knows more than "the build failed". */
  notGreen?: string
  /** false when the VM test failed; undefined when it did not run. */
  vmTestOk?: boolean
}

export type ReleaseStatus = 'released' | 'already-released' | 'refused' | 'failed'

export interface ReleaseStageResult extends StageOutcome {
  ok: boolean
  status: ReleaseStatus
  version?: string
  tag?: string
  releaseUrl?: string
  /** Moving tags (`v1`, `v1.2`) and what happened to each. */
  movingTags: { tag: string; outcome: MoveOutcome }[]
  failures: string[]
}

export async function runReleaseStage(options: ReleaseStageOptions): Promise<ReleaseStageResult> {
  const refusal = releaseRefusal(options.trigger)
  if (refusal) return fail(options, 'refused', refusal, {})
  const gate = redRunReason(options)
  if (gate) return fail(options, 'refused', `Not releasing: ${gate}. A release is only made from a green run; fix it and re-run.`, {})
  const reading = await versionOf(options)
  if (isResult(reading)) return reading
  const decision = await decide(options, reading)
  if (isResult(decision)) return decision
  const published = await publish(options, reading, decision)
  if (isResult(published)) return published
  options.reporter.setOutput('release-url', published.releaseUrl)
  const { movingTags, failures } = await moveTags(options, decision)
  summarise(options, decision, published, movingTags, failures)
  return {
    ok: failures.length === 0,
    status: published.status,
    version: reading.version,
    tag: decision.tag,
    releaseUrl: published.releaseUrl,
    movingTags,
    failures
  }
}

/** A step's early end: the stage's result, already reported. */
function isResult<T extends object>(value: T | ReleaseStageResult): value is ReleaseStageResult {
  return 'movingTags' in value && 'failures' in value
}

function repoOf(options: ReleaseStageOptions): Repo {
  return { octokit: options.octokit, owner: options.owner, repo: options.repo }
}

function githubContext(options: ReleaseStageOptions, action: string) {
  return { action, owner: options.owner, repo: options.repo, permissions: { contents: 'write' as const } }
}

async function versionOf(options: ReleaseStageOptions): Promise<VersionReading | ReleaseStageResult> {
  let reading: VersionReading
  try {
    reading = await readVersion(options)
  } catch (error) {
    if (!(error instanceof VersionSourceError)) throw error
    return fail(options, 'failed', error.message, {}, { file: error.file, startLine: error.line, title: 'Release: version unreadable' })
  }
  options.reporter.info(
    `Version ${reading.version} from ${reading.file ? `${reading.file}${reading.line ? `:${reading.line}` : ''}` : reading.source}`
  )
  options.reporter.setOutput('version', reading.version)
  return reading
}

/** The version against the repository's tags: create, already there, or refuse (bump it). */
async function decide(options: ReleaseStageOptions, reading: VersionReading): Promise<Decided | ReleaseStageResult> {
  const gh = repoOf(options)
  let decision: ReleaseDecision
  try {
    const refs = await listTagRefs(gh, options.tagPrefix)
    const tags = await existingTags(gh, refs, tagsNeedingCommits(reading.version, options.tagPrefix, refs))
    decision = decideRelease({
      version: reading.version,
      prefix: options.tagPrefix,
      tags,
      commitSha: options.commitSha,
      bumpIn: whereToBump(reading)
    })
  } catch (error) {
    return fail(
      options,
      'failed',
      explainGitHubError(error, { ...githubContext(options, 'read the tags'), permissions: { contents: 'read' } }),
      { version: reading.version }
    )
  }
  options.reporter.setOutput('tag', decision.tag)
  if (decision.action !== 'refuse') return decision
  const annotation = reading.file
    ? { file: reading.file, startLine: reading.line, title: 'Release: bump the version' }
    : { title: 'Release: bump the version' }
  return fail(options, 'refused', decision.message, { version: reading.version, tag: decision.tag }, annotation)
}

type Decided = Exclude<ReleaseDecision, { action: 'refuse' }>

/** The annotated tag (unless a concurrent run made it on this commit) and the GitHub release. */
async function publish(
  options: ReleaseStageOptions,
  reading: VersionReading,
  decision: Decided
): Promise<{ status: ReleaseStatus; releaseUrl: string } | ReleaseStageResult> {
  const { reporter } = options
  const gh = repoOf(options)
  const short = options.commitSha.slice(0, 12)
  let status: ReleaseStatus = decision.action === 'create' ? 'released' : 'already-released'
  try {
    if (decision.action === 'create') {
      const tagged = await createAnnotatedTag(gh, decision.tag, options.commitSha, `Release ${decision.version}`)
      if (tagged.created) {
        reporter.info(`Created tag ${decision.tag} on ${short}${decision.previousTag ? ` (previous: ${decision.previousTag})` : ''}`)
      } else if (tagged.commitSha === options.commitSha) {
        status = 'already-released'
        reporter.info(`Tag ${decision.tag} was created on ${short} by a concurrent run: nothing to do for the tag`)
      } else {
        const message =
          `The tag ${decision.tag} was just created on commit ${tagged.commitSha.slice(0, 12)} by another run, not on this commit ${short}: ` +
          `bump the version in ${whereToBump(reading)} to release this commit.`
        return fail(options, 'refused', message, { version: reading.version, tag: decision.tag })
      }
    } else {
      reporter.info(`${decision.tag} already tags this commit (${short}): nothing to tag`)
    }
    const release = await ensureRelease(gh, decision.tag, options.commitSha, decision.prerelease)
    reporter.info(
      release.created ? `Published release ${decision.tag}: ${release.url}` : `Release ${decision.tag} already exists: ${release.url}`
    )
    return { status, releaseUrl: release.url }
  } catch (error) {
    return fail(
      options,
      'failed',
      commitHint(explainGitHubError(error, githubContext(options, `release ${decision.tag}`)), error, options.commitSha),
      {
        version: reading.version,
        tag: decision.tag
      }
    )
  }
}

/** `v1` and `v1.2` forward to this commit (major-tag), never back past a newer release. */
async function moveTags(
  options: ReleaseStageOptions,
  decision: Decided
): Promise<{ movingTags: ReleaseStageResult['movingTags']; failures: string[] }> {
  const { reporter } = options
  const failures: string[] = []
  const movingTags: ReleaseStageResult['movingTags'] = []
  if (!options.majorTag) return { movingTags, failures }
  const short = options.commitSha.slice(0, 12)
  if (decision.prerelease) reporter.info(`${decision.version} is a prerelease: moving tags stay where they are`)
  for (const tag of decision.movingTags) {
    try {
      const outcome = await moveTagForward(repoOf(options), {
        name: tag,
        version: decision.version,
        prefix: options.tagPrefix,
        commitSha: options.commitSha
      })
      movingTags.push({ tag, outcome })
      if (outcome === 'newer')
        reporter.info(`${tag}: left where it is, on a release newer than ${decision.version} that was published meanwhile`)
      else reporter.info(`${tag}: ${outcome === 'unchanged' ? 'already at' : outcome === 'created' ? 'created at' : 'moved to'} ${short}`)
    } catch (error) {
      const message =
        explainGitHubError(error, githubContext(options, `move the tag ${tag}`)) +
        ` If ${tag} has a release and releases are immutable, that tag can never move: delete the release of ${tag} (nix-ci never makes releases for moving tags).`
      reporter.error(message, { title: `Release: could not move ${tag}` })
      failures.push(message)
    }
  }
  return { movingTags, failures }
}

function summarise(
  options: ReleaseStageOptions,
  decision: Decided,
  published: { status: ReleaseStatus; releaseUrl: string },
  movingTags: ReleaseStageResult['movingTags'],
  failures: string[]
): void {
  const verb = published.status === 'released' ? 'Released' : 'Already released'
  const moved = movingTags.filter(m => m.outcome === 'created' || m.outcome === 'moved').map(m => m.tag)
  options.reporter.addSummary(
    `**Release:** ${verb} ${releaseLink(decision.tag, published.releaseUrl)} on ${markdownCode(options.commitSha.slice(0, 12))}${decision.prerelease ? ' (prerelease)' : ''}` +
      (moved.length ? `; moved ${moved.map(markdownCode).join(', ')}` : '') +
      (failures.length ? `; ${failures.length} moving tag(s) failed` : '')
  )
}

/** The release's link, only to an https URL GitHub gave us; the tag as code either way. */
function releaseLink(tag: string, url: string | undefined): string {
  return url !== undefined && /^https:\/\/[^\s()<>]+$/.test(url) ? `[${markdownCode(tag)}](${url})` : markdownCode(tag)
}

function redRunReason(options: ReleaseStageOptions): string | undefined {
  if (!options.buildOk) return options.notGreen ?? 'the build failed in this run'
  if (options.vmTestOk === false) return 'the VM test failed in this run'
  return undefined
}

function fail(
  options: ReleaseStageOptions,
  status: 'refused' | 'failed',
  message: string,
  found: { version?: string; tag?: string },
  annotation: { file?: string; startLine?: number; title?: string } = {}
): ReleaseStageResult {
  options.reporter.error(message, { title: status === 'refused' ? 'Release refused' : 'Release failed', ...annotation })
  options.reporter.addSummary(`**Release:** ${status} — ${markdownProse(message.split('\n')[0])}`)
  return { ok: false, status, ...found, movingTags: [], failures: [message] }
}

/** GitHub's "Object does not exist" means the built commit was never pushed. */
function commitHint(message: string, error: unknown, commitSha: string): string {
  const data = (error as { response?: { data?: { message?: string } } }).response?.data
  if (/Object does not exist/i.test(data?.message ?? '')) {
    return `${message}. The commit ${commitSha} is not on GitHub: push it before releasing, or release from a workflow triggered by the push.`
  }
  return message
}
