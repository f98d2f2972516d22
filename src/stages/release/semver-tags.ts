// Versions as nix-ci accepts them: strict semantic versions (1.2.3, 1.2.3-rc.1, 1.2.3+build.5), with
// no leading `v` or `=`, which the semver package would otherwise forgive. A tag is a version tag
// only when it is exactly `<prefix><version>`.
import semver, { type SemVer } from 'semver'

export function parseStrictVersion(text: string): SemVer | null {
  if (!/^\d/.test(text) || /\s/.test(text)) return null
  const parsed = semver.parse(text)
  return parsed !== null && parsed.raw === text ? parsed : null
}

export function versionOfTag(tag: string, prefix: string): SemVer | null {
  if (!tag.startsWith(prefix)) return null
  return parseStrictVersion(tag.slice(prefix.length))
}

/** The moving tags for a stable version: `<prefix><major>` and `<prefix><major>.<minor>`. */
export function movingTagNames(version: SemVer, prefix: string): { major: string; minor: string } {
  return { major: `${prefix}${version.major}`, minor: `${prefix}${version.major}.${version.minor}` }
}
