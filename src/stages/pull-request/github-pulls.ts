// The pull-request side of GitHub: find, create and update the fix PR (never a second one), its
// labels, nix-ci's own comments (found again by a hidden marker, so reruns edit instead of
// repeating), and suggestion reviews on pull requests from forks.
import { isRequestError } from '../../github/client.js'
import { messageOf, type Repo } from './github-git.js'

export interface PullInfo {
  number: number
  url: string
  title: string
  body: string
  state: string
  labels: string[]
  headSha: string
  headRef: string
  /** owner/name and id of the head repository; undefined once GitHub no longer knows it (a deleted fork). */
  headRepo?: string
  headRepoId?: number
  baseRepoId: number
}

type PullData = {
  number: number
  html_url: string
  title: string
  body: string | null
  state: string
  labels: { name?: string }[]
  head: { sha: string; ref: string; repo?: { id: number; full_name: string } | null }
  base: { repo: { id: number } }
}

function pullInfo(data: PullData): PullInfo {
  return {
    number: data.number,
    url: data.html_url,
    title: data.title,
    body: data.body ?? '',
    state: data.state,
    labels: data.labels.map(l => l.name ?? '').filter(Boolean),
    headSha: data.head.sha,
    headRef: data.head.ref,
    headRepo: data.head.repo?.full_name,
    headRepoId: data.head.repo?.id,
    baseRepoId: data.base.repo.id
  }
}

export async function getPull(gh: Repo, number: number): Promise<PullInfo> {
  const { data } = await gh.octokit.rest.pulls.get({ owner: gh.owner, repo: gh.repo, pull_number: number })
  return pullInfo(data)
}

/** The open PR from `branch` (in this repository) into `base`, if any. */
export async function findOpenPull(gh: Repo, branch: string, base: string): Promise<PullInfo | undefined> {
  const pulls = await gh.octokit.paginate(gh.octokit.rest.pulls.list, {
    owner: gh.owner,
    repo: gh.repo,
    state: 'open',
    head: `${gh.owner}:${branch}`,
    base,
    per_page: 100
  })
  const found = pulls.find(p => p.head.ref === branch)
  return found ? pullInfo(found) : undefined
}

/**
 * Opens the PR; if a concurrent run opened it first (GitHub's "A pull request already exists for
 * owner:branch"), returns that one instead.
 */
export async function createPull(
  gh: Repo,
  input: { branch: string; base: string; title: string; body: string }
): Promise<{ pull: PullInfo; created: boolean }> {
  try {
    const { data } = await gh.octokit.rest.pulls.create({
      owner: gh.owner,
      repo: gh.repo,
      head: input.branch,
      base: input.base,
      title: input.title,
      body: input.body
    })
    return { pull: pullInfo(data), created: true }
  } catch (error) {
    if (!(isRequestError(error) && error.status === 422 && /pull request already exists/i.test(messageOf(error)))) throw error
    const existing = await findOpenPull(gh, input.branch, input.base)
    if (!existing) throw error
    return { pull: existing, created: false }
  }
}

export async function updatePull(
  gh: Repo,
  number: number,
  change: { title?: string; body?: string; state?: 'open' | 'closed' }
): Promise<PullInfo> {
  const { data } = await gh.octokit.rest.pulls.update({ owner: gh.owner, repo: gh.repo, pull_number: number, ...change })
  return pullInfo(data)
}

/** Adds the labels the PR lacks (GitHub creates unknown labels); returns the ones added. */
export async function addMissingLabels(gh: Repo, pull: PullInfo, labels: string[]): Promise<string[]> {
  const missing = labels.filter(l => !pull.labels.includes(l))
  if (missing.length === 0) return []
  await gh.octokit.rest.issues.addLabels({ owner: gh.owner, repo: gh.repo, issue_number: pull.number, labels: missing })
  return missing
}

/**
 * nix-ci's comment identified by `marker` (an HTML comment at its start): created, edited when its
 * text changed, or left alone.
 */
export async function upsertComment(gh: Repo, number: number, marker: string, body: string): Promise<'created' | 'updated' | 'unchanged'> {
  const text = body.startsWith(marker) ? body : `${marker}\n${body}`
  const comments = await gh.octokit.paginate(gh.octokit.rest.issues.listComments, {
    owner: gh.owner,
    repo: gh.repo,
    issue_number: number,
    per_page: 100
  })
  const own = comments.find(c => (c.body ?? '').startsWith(marker))
  if (!own) {
    await gh.octokit.rest.issues.createComment({ owner: gh.owner, repo: gh.repo, issue_number: number, body: text })
    return 'created'
  }
  if (own.body === text) return 'unchanged'
  await gh.octokit.rest.issues.updateComment({ owner: gh.owner, repo: gh.repo, comment_id: own.id, body: text })
  return 'updated'
}

export interface ReviewCommentInfo {
  path: string
  line: number | null
  body: string
}

export async function listReviewComments(gh: Repo, number: number): Promise<ReviewCommentInfo[]> {
  const comments = await gh.octokit.paginate(gh.octokit.rest.pulls.listReviewComments, {
    owner: gh.owner,
    repo: gh.repo,
    pull_number: number,
    per_page: 100
  })
  return comments.map(c => ({ path: c.path, line: c.line ?? null, body: c.body }))
}

/** Lines of the head side each changed file's diff shows (review comments can only sit there). */
export async function diffLines(gh: Repo, number: number): Promise<Map<string, [number, number][]>> {
  const files = await gh.octokit.paginate(gh.octokit.rest.pulls.listFiles, {
    owner: gh.owner,
    repo: gh.repo,
    pull_number: number,
    per_page: 100
  })
  const out = new Map<string, [number, number][]>()
  for (const file of files) {
    const ranges: [number, number][] = []
    for (const m of (file.patch ?? '').matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
      const start = Number(m[1])
      const count = m[2] === undefined ? 1 : Number(m[2])
      if (count > 0) ranges.push([start, start + count - 1])
    }
    out.set(file.filename, ranges)
  }
  return out
}

export async function createSuggestionReview(
  gh: Repo,
  number: number,
  input: { commitId: string; body: string; comments: { path: string; line: number; body: string }[] }
): Promise<void> {
  await gh.octokit.rest.pulls.createReview({
    owner: gh.owner,
    repo: gh.repo,
    pull_number: number,
    commit_id: input.commitId,
    event: 'COMMENT',
    body: input.body,
    comments: input.comments.map(c => ({ path: c.path, line: c.line, side: 'RIGHT' as const, body: c.body }))
  })
}
