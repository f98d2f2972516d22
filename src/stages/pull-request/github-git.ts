// The Git Data API side: blobs, a tree on top of the base commit's tree, one commit, and the branch
// ref. Commits made this way (without an author or committer) are created and signed by GitHub,
// so they show as verified. Every call here is safe to repeat: blobs and trees are content
// addressed, and ref changes say what they found instead of guessing. No ref is ever forced
// blindly: a branch moves forward only, or by compare-and-swap.
import { errorMessage } from '../../errors.js'
import { isRequestError, type Repo } from '../../github/client.js'
import { swapRef } from '../../github/ref-updates.js'

export type { Repo }

export interface CommitInfo {
  sha: string
  tree: string
  parents: string[]
  message: string
  author: { name: string; email: string }
}

export interface TreeFile {
  path: string
  mode: string
  content: Buffer
}

export async function readCommit(gh: Repo, sha: string): Promise<CommitInfo> {
  const { data } = await gh.octokit.rest.git.getCommit({ owner: gh.owner, repo: gh.repo, commit_sha: sha })
  return commitInfo(data)
}

/** The blob at `path` in a tree (nested paths walk the subtrees), or undefined. */
export async function entryAt(gh: Repo, treeSha: string, path: string): Promise<{ sha: string; mode: string; type: string } | undefined> {
  const parts = path.split('/')
  let tree = treeSha
  for (let i = 0; i < parts.length; i++) {
    const { data } = await gh.octokit.rest.git.getTree({ owner: gh.owner, repo: gh.repo, tree_sha: tree })
    const entry = data.tree.find(e => e.path === parts[i])
    if (!entry?.sha || !entry.mode || !entry.type) return undefined
    if (i === parts.length - 1) return { sha: entry.sha, mode: entry.mode, type: entry.type }
    if (entry.type !== 'tree') return undefined
    tree = entry.sha
  }
  return undefined
}

/** Blobs for the files (base64: the exact bytes, whatever their encoding) and a tree over `baseTree`. */
export async function createTree(gh: Repo, baseTree: string, files: TreeFile[]): Promise<string> {
  const items = []
  for (const file of files) {
    const { data } = await gh.octokit.rest.git.createBlob({
      owner: gh.owner,
      repo: gh.repo,
      content: file.content.toString('base64'),
      encoding: 'base64'
    })
    items.push({ path: file.path, mode: file.mode as '100644' | '100755', type: 'blob' as const, sha: data.sha })
  }
  const { data } = await gh.octokit.rest.git.createTree({ owner: gh.owner, repo: gh.repo, base_tree: baseTree, tree: items })
  return data.sha
}

/** One commit; no author or committer, so GitHub attributes it to the token and signs it. */
export async function createCommit(gh: Repo, message: string, tree: string, parent: string): Promise<CommitInfo> {
  const { data } = await gh.octokit.rest.git.createCommit({ owner: gh.owner, repo: gh.repo, message, tree, parents: [parent] })
  return commitInfo(data)
}

/** GitHub's git commit object (read or just created), as the flows use it. */
function commitInfo(data: {
  sha: string
  tree: { sha: string }
  parents: { sha: string }[]
  message: string
  author: { name: string; email: string }
}): CommitInfo {
  return {
    sha: data.sha,
    tree: data.tree.sha,
    parents: data.parents.map(p => p.sha),
    message: data.message,
    author: { name: data.author.name, email: data.author.email }
  }
}

/** The commit a branch points at, or undefined when it does not exist. */
export async function readBranch(gh: Repo, branch: string): Promise<string | undefined> {
  try {
    const { data } = await gh.octokit.rest.git.getRef({ owner: gh.owner, repo: gh.repo, ref: `heads/${branch}` })
    return data.object.sha
  } catch (error) {
    if (isRequestError(error) && error.status === 404) return undefined
    throw error
  }
}

/** Creates the branch; 'exists' when another run (or person) created it first. */
export async function createBranch(gh: Repo, branch: string, sha: string): Promise<'created' | 'exists'> {
  try {
    await gh.octokit.rest.git.createRef({ owner: gh.owner, repo: gh.repo, ref: `refs/heads/${branch}`, sha })
    return 'created'
  } catch (error) {
    if (isAlreadyExists(error)) return 'exists'
    throw error
  }
}

/** Moves the branch forward: GitHub refuses a move that is not a fast-forward, so nobody's commit is dropped. */
export async function moveBranchForward(gh: Repo, branch: string, sha: string): Promise<'moved' | 'not-fast-forward'> {
  try {
    await gh.octokit.rest.git.updateRef({ owner: gh.owner, repo: gh.repo, ref: `heads/${branch}`, sha, force: false })
    return 'moved'
  } catch (error) {
    if (isRequestError(error) && error.status === 422 && /not a fast[- ]forward/i.test(messageOf(error))) return 'not-fast-forward'
    throw error
  }
}

/**
 * Points the branch at `sha`, whatever its history, but only if it still points at `before`
 * (compare-and-swap): 'stale' when someone pushed since it was read, and nothing was written.
 */
export async function replaceBranch(gh: Repo, branch: string, before: string, sha: string): Promise<'moved' | 'stale'> {
  return (await swapRef(gh, { ref: `refs/heads/${branch}`, before, after: sha })) === 'swapped' ? 'moved' : 'stale'
}

export async function deleteBranch(gh: Repo, branch: string): Promise<'deleted' | 'gone'> {
  try {
    await gh.octokit.rest.git.deleteRef({ owner: gh.owner, repo: gh.repo, ref: `heads/${branch}` })
    return 'deleted'
  } catch (error) {
    if (isRequestError(error) && error.status === 422 && /does not exist/i.test(messageOf(error))) return 'gone'
    throw error
  }
}

/** How `head` relates to `base`: ahead (head descends from base), behind, identical or diverged. */
export async function compareCommits(gh: Repo, base: string, head: string): Promise<'ahead' | 'behind' | 'identical' | 'diverged'> {
  const { data } = await gh.octokit.rest.repos.compareCommitsWithBasehead({
    owner: gh.owner,
    repo: gh.repo,
    basehead: `${base}...${head}`,
    per_page: 1
  })
  return data.status
}

export function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: { message?: string; errors?: ({ message?: string } | string)[] } } }).response?.data
  const details = (data?.errors ?? []).map(e => (typeof e === 'string' ? e : (e.message ?? ''))).join(' ')
  return `${data?.message ?? errorMessage(error) ?? ''} ${details}`.trim()
}

/** GitHub's 422 for a ref that exists ("Reference already exists"). */
function isAlreadyExists(error: unknown): boolean {
  return isRequestError(error) && error.status === 422 && /already exists/i.test(messageOf(error))
}
