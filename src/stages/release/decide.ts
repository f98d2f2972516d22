// What to do with a version, given the repository's tags: a pure function, so every branch is tested
// without GitHub. Tags that are not `<prefix><semver>` are ignored; versions compare by semver
// precedence, so build metadata does not make a version new.
import semver, { type SemVer } from 'semver'
import { movingTagNames, parseStrictVersion, versionOfTag } from './semver-tags.js'

export interface ExistingTag {
  name: string
  /** The commit the tag points at (annotated tags peeled). Needed for tags of the same version. */
  commitSha?: string
}

export interface DecideInput {
  version: string
  prefix: string
  tags: ExistingTag[]
  /** The commit that was built and would be released. */
  commitSha: string
  /** Where to change the version, for messages: `mix.exs`, `package.json`, ... */
  bumpIn: string
}

export type ReleaseDecision =
  | { action: 'create'; tag: string; version: string; prerelease: boolean; previousTag?: string; movingTags: string[] }
  | { action: 'already-released'; tag: string; version: string; prerelease: boolean; movingTags: string[] }
  | { action: 'refuse'; reason: 'tagged-elsewhere' | 'lower-than-released'; message: string; tag: string; version: string }

/** The moving tags `version` may still take, judged by these (freshly read) tag names. */
export function movingTagsNow(version: string, prefix: string, tagNames: string[]): string[] {
  const parsed = parseStrictVersion(version)
  if (!parsed) return []
  const versions = tagNames.map(name => versionOfTag(name, prefix)).filter((v): v is SemVer => v !== null)
  return movingTags(
    parsed,
    prefix,
    versions.map(v => ({ version: v }))
  )
}

/** Tags of the same precedence as `version` need a commitSha before `decideRelease` can judge them. */
export function tagsNeedingCommits(version: string, prefix: string, tags: ExistingTag[]): string[] {
  const wanted = parseStrictVersion(version)
  if (!wanted) return []
  return tags.filter(t => sameVersion(versionOfTag(t.name, prefix), wanted)).map(t => t.name)
}

export function decideRelease(input: DecideInput): ReleaseDecision {
  const version = parseStrictVersion(input.version)
  if (!version) throw new Error(`decideRelease needs a valid version, got '${input.version}'`)
  const tag = `${input.prefix}${input.version}`
  const prerelease = version.prerelease.length > 0
  const versioned = input.tags
    .map(t => ({ ...t, version: versionOfTag(t.name, input.prefix) }))
    .filter((t): t is ExistingTag & { version: SemVer } => t.version !== null)

  const same = versioned.filter(t => sameVersion(t.version, version))
  for (const existing of same) {
    if (existing.commitSha === undefined) throw new Error(`decideRelease needs the commit of tag ${existing.name}`)
  }
  const onThisCommit = same.find(t => t.commitSha === input.commitSha)
  if (onThisCommit) {
    return {
      action: 'already-released',
      tag: onThisCommit.name,
      version: input.version,
      prerelease,
      movingTags: movingTags(version, input.prefix, versioned)
    }
  }
  const elsewhere = same[0]
  if (elsewhere) {
    return {
      action: 'refuse',
      reason: 'tagged-elsewhere',
      tag,
      version: input.version,
      message:
        `The version ${input.version} is already released as tag ${elsewhere.name} on commit ${short(elsewhere.commitSha)}, ` +
        `not on this commit ${short(input.commitSha)}: bump the version in ${input.bumpIn} to release this commit.`
    }
  }
  const highest = versioned.reduce<(ExistingTag & { version: SemVer }) | undefined>(
    (best, t) => (!best || semver.gt(t.version, best.version) ? t : best),
    undefined
  )
  if (highest && semver.lt(version, highest.version)) {
    return {
      action: 'refuse',
      reason: 'lower-than-released',
      tag,
      version: input.version,
      message:
        `The version ${input.version} is lower than ${highest.version.raw}, already released as tag ${highest.name}: ` +
        `bump the version in ${input.bumpIn} above ${highest.version.raw} to release this commit.`
    }
  }
  return {
    action: 'create',
    tag,
    version: input.version,
    prerelease,
    previousTag: highest?.name,
    movingTags: movingTags(version, input.prefix, versioned)
  }
}

/**
 * `v1` follows the highest stable 1.x.y and `v1.2` the highest stable 1.2.y; prereleases never move
 * them. Re-running an old release must not drag them back, so each moves only if this version is
 * the highest stable one of its line. The release stage asks again just before moving each one.
 */
export function movingTags(version: SemVer, prefix: string, tags: { version: SemVer }[]): string[] {
  if (version.prerelease.length > 0) return []
  const stable = tags.map(t => t.version).filter(v => v.prerelease.length === 0)
  const names = movingTagNames(version, prefix)
  const out: string[] = []
  if (!stable.some(v => v.major === version.major && semver.gt(v, version))) out.push(names.major)
  if (!stable.some(v => v.major === version.major && v.minor === version.minor && semver.gt(v, version))) out.push(names.minor)
  return out
}

function sameVersion(a: SemVer | null, b: SemVer): boolean {
  return a !== null && semver.eq(a, b)
}

function short(sha: string | undefined): string {
  return (sha ?? 'unknown').slice(0, 12)
}
