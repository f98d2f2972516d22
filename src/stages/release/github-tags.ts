// The GitHub side of a release: read version tags, create an annotated tag, create the release, move
// `v1`/`v1.2`. Every call is safe to repeat and safe against a concurrent run of the same release:
// "already exists" answers are re-read and compared instead of failed on, and moving tags move
// only forward, by compare-and-swap.
import { isRequestError, type Repo } from '../../github/client.js'
import { swapRef } from '../../github/ref-updates.js'
import { movingTagsNow, type ExistingTag } from './decide.js'

export type { Repo }

export interface TagRef {
  name: string
  /** What the ref points at: a tag object for annotated tags, else the commit. */
  sha: string
  type: string
}

/** Tags named `<prefix>...` (all tags for an empty prefix). */
export async function listTagRefs(gh: Repo, prefix: string): Promise<TagRef[]> {
  // `matching-refs` filters on GitHub's side and returns every match in one answer.
  const { data } = await gh.octokit.rest.git.listMatchingRefs({
    owner: gh.owner,
    repo: gh.repo,
    ref: prefix === '' ? 'tags' : `tags/${prefix}`
  })
  return data
    .filter(ref => ref.ref.startsWith('refs/tags/'))
    .map(ref => ({ name: ref.ref.slice('refs/tags/'.length), sha: ref.object.sha, type: ref.object.type }))
}

/** The commit a tag ref finally points at, following annotated tag objects. */
export async function peelTagRef(gh: Repo, ref: TagRef): Promise<string> {
  let { sha, type } = ref
  for (let depth = 0; type === 'tag'; depth++) {
    if (depth > 10) throw new Error(`Tag ${ref.name} is a chain of more than 10 tag objects`)
    const { data } = await gh.octokit.rest.git.getTag({ owner: gh.owner, repo: gh.repo, tag_sha: sha })
    sha = data.object.sha
    type = data.object.type
  }
  return sha
}

/** Tag refs as the decision needs them, with commits for the tags named in `peel`. */
export async function existingTags(gh: Repo, refs: TagRef[], peel: string[]): Promise<ExistingTag[]> {
  return Promise.all(
    refs.map(async ref => (peel.includes(ref.name) ? { name: ref.name, commitSha: await peelTagRef(gh, ref) } : { name: ref.name }))
  )
}

async function readTagRef(gh: Repo, name: string): Promise<TagRef | undefined> {
  try {
    const { data } = await gh.octokit.rest.git.getRef({ owner: gh.owner, repo: gh.repo, ref: `tags/${name}` })
    return { name, sha: data.object.sha, type: data.object.type }
  } catch (error) {
    if (isRequestError(error) && error.status === 404) return undefined
    throw error
  }
}

export type CreateTagOutcome = { created: true } | { created: false; commitSha: string }

/**
 * Creates the annotated tag `name` on `commitSha`: a tag object, then the ref. If the ref appeared
 * meanwhile (another run of the same release), reports the commit it points at instead; the tag
 * object this run made is then unreferenced, which git tolerates.
 */
export async function createAnnotatedTag(gh: Repo, name: string, commitSha: string, message: string): Promise<CreateTagOutcome> {
  const { data: tagObject } = await gh.octokit.rest.git.createTag({
    owner: gh.owner,
    repo: gh.repo,
    tag: name,
    message,
    object: commitSha,
    type: 'commit'
  })
  try {
    await gh.octokit.rest.git.createRef({ owner: gh.owner, repo: gh.repo, ref: `refs/tags/${name}`, sha: tagObject.sha })
    return { created: true }
  } catch (error) {
    if (!isAlreadyExists(error)) throw error
    const existing = await readTagRef(gh, name)
    if (!existing) throw error
    return { created: false, commitSha: await peelTagRef(gh, existing) }
  }
}

export interface ReleaseOutcome {
  url: string
  created: boolean
}

/** The release for `tag`: created with generated notes, or the one that already exists. */
export async function ensureRelease(gh: Repo, tag: string, commitSha: string, prerelease: boolean): Promise<ReleaseOutcome> {
  const existing = await findRelease(gh, tag)
  if (existing) return { url: existing, created: false }
  try {
    const { data } = await gh.octokit.rest.repos.createRelease({
      owner: gh.owner,
      repo: gh.repo,
      tag_name: tag,
      target_commitish: commitSha,
      name: tag,
      prerelease,
      generate_release_notes: true
    })
    return { url: data.html_url, created: true }
  } catch (error) {
    if (!isAlreadyExists(error)) throw error
    // A concurrent run published it between our look-up and our create.
    const url = await findRelease(gh, tag)
    if (!url) throw error
    return { url, created: false }
  }
}

async function findRelease(gh: Repo, tag: string): Promise<string | undefined> {
  try {
    const { data } = await gh.octokit.rest.repos.getReleaseByTag({ owner: gh.owner, repo: gh.repo, tag })
    return data.html_url
  } catch (error) {
    if (isRequestError(error) && error.status === 404) return undefined
    throw error
  }
}

/** `newer`: a higher release of the tag's line holds it; it is left there. */
export type MoveOutcome = 'created' | 'moved' | 'unchanged' | 'newer'

/**
 * Points the moving tag `name` at the commit itself (a lightweight tag, no tag object), only
 * forward: just before each attempt the version tags are read again, and a higher stable release
 * of the tag's line (a later run that finished first) keeps it. The move is a compare-and-swap
 * from the value just read, so a concurrent move is never overwritten: it is read and judged
 * again. Moving tags have no release, so immutable releases never freeze them.
 */
export async function moveTagForward(
  gh: Repo,
  input: { name: string; version: string; prefix: string; commitSha: string }
): Promise<MoveOutcome> {
  const { name, commitSha } = input
  for (let round = 0; round < 4; round++) {
    const refs = await listTagRefs(gh, input.prefix)
    if (
      !movingTagsNow(
        input.version,
        input.prefix,
        refs.map(r => r.name)
      ).includes(name)
    )
      return 'newer'
    const current = refs.find(r => r.name === name)
    if (current?.type === 'commit' && current.sha === commitSha) return 'unchanged'
    const swapped = await swapRef(gh, { ref: `refs/tags/${name}`, before: current?.sha, after: commitSha })
    if (swapped === 'swapped') return current === undefined ? 'created' : 'moved'
  }
  throw new Error(`The tag ${name} kept changing while nix-ci moved it (concurrent releases): re-run the job to move it.`)
}

/** GitHub's 422 for a ref or release that exists: "Reference already exists" / code already_exists. */
function isAlreadyExists(error: unknown): boolean {
  if (!isRequestError(error) || error.status !== 422) return false
  const data = (error.response?.data ?? {}) as { message?: string; errors?: { code?: string }[] }
  return /already exists/i.test(data.message ?? '') || (data.errors ?? []).some(e => e.code === 'already_exists')
}
