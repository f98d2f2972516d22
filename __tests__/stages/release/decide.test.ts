// The release decision as a pure function: semver precedence, prefixes, tags that are not versions,
// and which moving tags follow a release.
import { describe, expect, it } from '@jest/globals'
import { decideRelease, tagsNeedingCommits, type ExistingTag } from '../../../src/stages/release/decide.js'
import { parseStrictVersion, versionOfTag } from '../../../src/stages/release/semver-tags.js'

const HERE = 'a'.repeat(40)
const ELSEWHERE = 'b'.repeat(40)

function decide(version: string, tags: ExistingTag[], prefix = 'v') {
  return decideRelease({ version, prefix, tags, commitSha: HERE, bumpIn: 'mix.exs' })
}

describe('strict versions and version tags', () => {
  it('accepts semver with prerelease and build metadata, and nothing looser', () => {
    expect(parseStrictVersion('1.2.3')?.version).toBe('1.2.3')
    expect(parseStrictVersion('1.2.3-rc.1+build.5')?.build).toEqual(['build', '5'])
    for (const loose of ['v1.2.3', '=1.2.3', '1.2', '01.2.3', ' 1.2.3', '1.2.3 ', 'latest', ''])
      expect(parseStrictVersion(loose)).toBeNull()
  })

  it('reads a tag as a version only when it is exactly prefix + version', () => {
    expect(versionOfTag('v1.2.3', 'v')?.version).toBe('1.2.3')
    expect(versionOfTag('1.2.3', 'v')).toBeNull()
    expect(versionOfTag('1.2.3', '')?.version).toBe('1.2.3')
    // With an empty prefix a `v` tag is not `<prefix><version>`: semver's leniency must not leak in.
    expect(versionOfTag('v1.2.3', '')).toBeNull()
    expect(versionOfTag('release/1.2.3', 'release/')?.version).toBe('1.2.3')
    expect(versionOfTag('v1', 'v')).toBeNull()
    expect(versionOfTag('v1.2', 'v')).toBeNull()
  })
})

describe('decideRelease', () => {
  it('creates the first release, with both moving tags for a stable version', () => {
    expect(decide('1.2.3', [])).toEqual({
      action: 'create',
      tag: 'v1.2.3',
      version: '1.2.3',
      prerelease: false,
      previousTag: undefined,
      movingTags: ['v1', 'v1.2']
    })
  })

  it('creates a version above the highest tag and names the previous one', () => {
    const decision = decide('1.10.0', [{ name: 'v1.9.0' }, { name: 'v1.2.0' }, { name: 'v1' }, { name: 'latest' }, { name: 'v2-beta' }])
    expect(decision).toMatchObject({ action: 'create', tag: 'v1.10.0', previousTag: 'v1.9.0' })
  })

  it('orders prereleases below their release and by identifier', () => {
    expect(decide('2.0.0-rc.2', [{ name: 'v2.0.0-rc.1' }, { name: 'v1.9.9' }])).toMatchObject({
      action: 'create',
      prerelease: true,
      movingTags: []
    })
    expect(decide('2.0.0-rc.10', [{ name: 'v2.0.0-rc.9' }])).toMatchObject({ action: 'create' })
    expect(decide('2.0.0', [{ name: 'v2.0.0-rc.1' }])).toMatchObject({ action: 'create', prerelease: false, movingTags: ['v2', 'v2.0'] })
    const lower = decide('2.0.0-rc.1', [{ name: 'v2.0.0' }])
    expect(lower).toMatchObject({ action: 'refuse', reason: 'lower-than-released' })
    expect(lower.action === 'refuse' && lower.message).toMatch(
      /2\.0\.0-rc\.1 is lower than 2\.0\.0.*tag v2\.0\.0.*bump the version in mix\.exs above 2\.0\.0/
    )
    expect(decide('2.0.0-alpha', [{ name: 'v2.0.0-beta' }])).toMatchObject({ action: 'refuse', reason: 'lower-than-released' })
  })

  it('refuses a lower version, naming both versions', () => {
    const decision = decide('1.2.3', [{ name: 'v1.3.0' }])
    expect(decision.action === 'refuse' && decision.message).toMatch(/1\.2\.3 is lower than 1\.3\.0/)
  })

  it('treats versions that differ only in build metadata as the same version', () => {
    expect(tagsNeedingCommits('1.2.3+build.2', 'v', [{ name: 'v1.2.3+build.1' }, { name: 'v1.2.4' }])).toEqual(['v1.2.3+build.1'])
    expect(decide('1.2.3+build.2', [{ name: 'v1.2.3+build.1', commitSha: ELSEWHERE }])).toMatchObject({
      action: 'refuse',
      reason: 'tagged-elsewhere'
    })
    expect(decide('1.2.3+build.2', [{ name: 'v1.2.3+build.1', commitSha: HERE }])).toMatchObject({
      action: 'already-released',
      tag: 'v1.2.3+build.1'
    })
  })

  it('says nothing to do when this commit already has the version, and refuses when another commit has it', () => {
    expect(decide('1.2.3', [{ name: 'v1.2.3', commitSha: HERE }])).toMatchObject({ action: 'already-released', tag: 'v1.2.3' })
    const elsewhere = decide('1.2.3', [{ name: 'v1.2.3', commitSha: ELSEWHERE }])
    expect(elsewhere).toMatchObject({ action: 'refuse', reason: 'tagged-elsewhere' })
    expect(elsewhere.action === 'refuse' && elsewhere.message).toMatch(
      /already released as tag v1\.2\.3 on commit bbbbbbbbbbbb, not on this commit aaaaaaaaaaaa: bump the version in mix\.exs/
    )
  })

  it('needs the commit of a same-version tag before judging it', () => {
    expect(() => decide('1.2.3', [{ name: 'v1.2.3' }])).toThrow(/needs the commit of tag v1\.2\.3/)
  })

  it('re-running an old release keeps moving tags on the newest stable release of each line', () => {
    const tags = [{ name: 'v1.2.3', commitSha: HERE }, { name: 'v1.3.0' }, { name: 'v1.2.2' }, { name: 'v1.4.0-rc.1' }]
    expect(decide('1.2.3', tags)).toMatchObject({ action: 'already-released', movingTags: ['v1.2'] })
    expect(decide('1.3.0', [{ name: 'v1.3.0', commitSha: HERE }, { name: 'v1.4.0-rc.1' }])).toMatchObject({ movingTags: ['v1', 'v1.3'] })
  })

  it('works with an empty prefix and ignores tags that are not prefix + semver', () => {
    const tags = [{ name: 'v9.0.0' }, { name: '1.0.0' }, { name: 'nightly' }, { name: '2.0' }]
    expect(decide('1.1.0', tags, '')).toEqual({
      action: 'create',
      tag: '1.1.0',
      version: '1.1.0',
      prerelease: false,
      previousTag: '1.0.0',
      movingTags: ['1', '1.1']
    })
    // The same tags under the `v` prefix: only v9.0.0 counts.
    expect(decide('1.1.0', tags, 'v')).toMatchObject({ action: 'refuse', reason: 'lower-than-released' })
  })
})
