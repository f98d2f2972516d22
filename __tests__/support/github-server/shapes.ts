// Store records rendered as GitHub's JSON objects, with the URLs GitHub would put in them.
import { conform } from './conform.js'
import type { GitObject, IssueComment, Label, PullRequest, Release, Repository, Review, ReviewComment } from './store.js'

export interface Urls {
  /** The API root, e.g. http://127.0.0.1:1234 */
  api: string
  /** The web root used in html_url fields, e.g. https://github.com */
  web: string
}

let nodeCounter = 0
const nodeId = (kind: string, id: number | string): string => Buffer.from(`${kind}:${id}:${nodeCounter++}`).toString('base64')

/** A repository's node id is stable, as on GitHub: GraphQL mutations take it (see graphql.ts). */
export function repositoryNodeId(repo: Pick<Repository, 'id'>): string {
  return Buffer.from(`010:Repository${repo.id}`).toString('base64')
}

export function user(urls: Urls, login: string): object {
  const id = [...login].reduce((acc, c) => (acc * 31 + c.charCodeAt(0)) % 1_000_000, 7)
  return conform('simple-user', {
    login,
    id,
    node_id: nodeId('User', id),
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    url: `${urls.api}/users/${encodeURIComponent(login)}`,
    // A bot's page is its app's page: github-actions[bot] -> /apps/github-actions.
    html_url: login.endsWith('[bot]') ? `${urls.web}/apps/${login.slice(0, -'[bot]'.length)}` : `${urls.web}/${login}`,
    avatar_url: `${urls.web}/avatars/${encodeURIComponent(login)}`
  })
}

export function repository(
  urls: Urls,
  repo: Repository,
  component: 'full-repository' | 'repository' = 'full-repository',
  parent?: Repository
): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform(component, {
    id: repo.id,
    node_id: repositoryNodeId(repo),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: user(urls, repo.owner),
    private: repo.private,
    visibility: repo.private ? 'private' : 'public',
    fork: repo.parent !== undefined,
    default_branch: repo.defaultBranch,
    url: api,
    html_url: `${urls.web}/${repo.owner}/${repo.name}`,
    git_url: `git://github.invalid/${repo.owner}/${repo.name}.git`,
    clone_url: `${urls.web}/${repo.owner}/${repo.name}.git`,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    ...(component === 'full-repository' && parent
      ? { parent: repository(urls, parent, 'repository'), source: repository(urls, parent, 'repository') }
      : {})
  })
}

export function gitRef(urls: Urls, repo: Repository, ref: string, sha: string, object: GitObject | undefined): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  const type = object?.type ?? 'commit'
  return conform('git-ref', {
    ref,
    node_id: nodeId('Ref', ref),
    url: `${api}/git/${ref}`,
    object: { type, sha, url: `${api}/git/${type}s/${sha}` }
  })
}

export function gitTag(urls: Urls, repo: Repository, tag: Extract<GitObject, { type: 'tag' }>): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform('git-tag', {
    node_id: nodeId('Tag', tag.sha),
    tag: tag.tag,
    sha: tag.sha,
    url: `${api}/git/tags/${tag.sha}`,
    message: tag.message,
    tagger: tag.tagger,
    object: { sha: tag.object, type: tag.objectType, url: `${api}/git/${tag.objectType}s/${tag.object}` },
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  })
}

export function gitCommit(urls: Urls, repo: Repository, commit: Extract<GitObject, { type: 'commit' }>): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform('git-commit', {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${urls.web}/${repo.owner}/${repo.name}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    parents: commit.parents.map(sha => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${urls.web}/${repo.owner}/${repo.name}/commit/${sha}`
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  })
}

/** The richer commit of `GET /repos/{owner}/{repo}/commits/{ref}`. */
export function commit(urls: Urls, repo: Repository, git: Extract<GitObject, { type: 'commit' }>): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform('commit', {
    sha: git.sha,
    node_id: nodeId('Commit', git.sha),
    url: `${api}/commits/${git.sha}`,
    html_url: `${urls.web}/${repo.owner}/${repo.name}/commit/${git.sha}`,
    comments_url: `${api}/commits/${git.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${git.sha}`,
      author: git.author,
      committer: git.committer,
      message: git.message,
      comment_count: 0,
      tree: { sha: git.tree, url: `${api}/git/trees/${git.tree}` }
    },
    author: null,
    committer: null,
    parents: git.parents.map(sha => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${urls.web}/${repo.owner}/${repo.name}/commit/${sha}`
    })),
    files: []
  })
}

export function gitTree(urls: Urls, repo: Repository, tree: Extract<GitObject, { type: 'tree' }>): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform('git-tree', {
    sha: tree.sha,
    url: `${api}/git/trees/${tree.sha}`,
    truncated: false,
    tree: tree.entries.map(entry => {
      const object = repo.objects.get(entry.sha)
      return {
        path: entry.path,
        mode: entry.mode,
        type: entry.type,
        sha: entry.sha,
        url: `${api}/git/${entry.type}s/${entry.sha}`,
        ...(object?.type === 'blob' ? { size: object.content.length } : {})
      }
    })
  })
}

export function blob(urls: Urls, repo: Repository, object: Extract<GitObject, { type: 'blob' }>): object {
  return conform('blob', {
    sha: object.sha,
    node_id: nodeId('Blob', object.sha),
    url: `${urls.api}/repos/${repo.owner}/${repo.name}/git/blobs/${object.sha}`,
    content: object.content.toString('base64'),
    encoding: 'base64',
    size: object.content.length
  })
}

export function release(urls: Urls, repo: Repository, r: Release): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  const web = `${urls.web}/${repo.owner}/${repo.name}`
  return conform('release', {
    id: r.id,
    node_id: nodeId('Release', r.id),
    url: `${api}/releases/${r.id}`,
    html_url: r.draft ? `${web}/releases/tag/untagged-${r.id}` : `${web}/releases/tag/${encodeURIComponent(r.tagName)}`,
    assets_url: `${api}/releases/${r.id}/assets`,
    upload_url: `https://uploads.github.invalid/repos/${repo.owner}/${repo.name}/releases/${r.id}/assets{?name,label}`,
    tarball_url: `${api}/tarball/${r.tagName}`,
    zipball_url: `${api}/zipball/${r.tagName}`,
    tag_name: r.tagName,
    target_commitish: r.targetCommitish,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: r.prerelease,
    immutable: r.immutable,
    created_at: r.createdAt,
    published_at: r.publishedAt,
    updated_at: r.createdAt,
    author: user(urls, r.author),
    assets: []
  })
}

function branchEnd(
  urls: Urls,
  store: { findRepo(o: string, n: string): Repository | undefined },
  fullName: string,
  ref: string,
  sha: string
): object {
  const [owner, name] = fullName.split('/')
  const repo = store.findRepo(owner, name)
  return {
    label: `${owner}:${ref}`,
    ref,
    sha,
    user: user(urls, owner),
    repo: repo ? repository(urls, repo, 'repository') : null
  }
}

export function pullRequest(
  urls: Urls,
  store: { findRepo(o: string, n: string): Repository | undefined; pullHead(pr: PullRequest): string },
  repo: Repository,
  pr: PullRequest,
  component: 'pull-request' | 'pull-request-simple' = 'pull-request'
): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  const web = `${urls.web}/${repo.owner}/${repo.name}`
  return conform(component, {
    id: pr.id,
    node_id: nodeId('PullRequest', pr.id),
    number: pr.number,
    url: `${api}/pulls/${pr.number}`,
    html_url: `${web}/pull/${pr.number}`,
    diff_url: `${web}/pull/${pr.number}.diff`,
    patch_url: `${web}/pull/${pr.number}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    review_comments_url: `${api}/pulls/${pr.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${store.pullHead(pr)}`,
    state: pr.state,
    locked: false,
    title: pr.title,
    body: pr.body,
    draft: pr.draft,
    user: user(urls, pr.user),
    labels: pr.labels.map(name => label(urls, repo, repo.labels.get(name) ?? { id: 0, name, color: 'ededed' })),
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: null,
    merge_commit_sha: null,
    head: branchEnd(urls, store, pr.headRepo, pr.headRef, store.pullHead(pr)),
    base: branchEnd(urls, store, `${repo.owner}/${repo.name}`, pr.baseRef, pr.baseSha),
    author_association: 'CONTRIBUTOR',
    ...(component === 'pull-request'
      ? {
          merged: false,
          mergeable: null,
          rebaseable: null,
          mergeable_state: 'unknown',
          comments: 0,
          review_comments: 0,
          commits: 1,
          additions: 0,
          deletions: 0,
          changed_files: 0,
          maintainer_can_modify: false
        }
      : {})
  })
}

export function label(urls: Urls, repo: Repository, l: Label): object {
  return conform('label', {
    id: l.id,
    node_id: nodeId('Label', l.id),
    url: `${urls.api}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    // pull-request-simple's labels require a string here, where the label component allows null.
    description: '',
    default: false
  })
}

export function issueComment(urls: Urls, repo: Repository, c: IssueComment): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform('issue-comment', {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${urls.web}/${repo.owner}/${repo.name}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${c.issueNumber}`,
    body: c.body,
    user: user(urls, c.user),
    created_at: c.createdAt,
    updated_at: c.createdAt,
    author_association: 'NONE'
  })
}

export function reviewComment(urls: Urls, repo: Repository, c: ReviewComment): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  const html = `${urls.web}/${repo.owner}/${repo.name}/pull/${c.pullNumber}#discussion_r${c.id}`
  return conform('pull-request-review-comment', {
    id: c.id,
    node_id: nodeId('ReviewComment', c.id),
    url: `${api}/pulls/comments/${c.id}`,
    pull_request_review_id: c.reviewId,
    diff_hunk: '@@ -1 +1 @@',
    path: c.path,
    commit_id: c.commitId,
    original_commit_id: c.commitId,
    user: user(urls, c.user),
    body: c.body,
    created_at: c.createdAt,
    updated_at: c.createdAt,
    html_url: html,
    pull_request_url: `${api}/pulls/${c.pullNumber}`,
    author_association: 'NONE',
    _links: {
      self: { href: `${api}/pulls/comments/${c.id}` },
      html: { href: html },
      pull_request: { href: `${api}/pulls/${c.pullNumber}` }
    },
    ...(c.line !== null ? { line: c.line, original_line: c.line, side: c.side } : {})
  })
}

export function review(urls: Urls, repo: Repository, r: Review): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  const html = `${urls.web}/${repo.owner}/${repo.name}/pull/${r.pullNumber}#pullrequestreview-${r.id}`
  return conform('pull-request-review', {
    id: r.id,
    node_id: nodeId('Review', r.id),
    user: user(urls, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: `${api}/pulls/${r.pullNumber}`,
    _links: { html: { href: html }, pull_request: { href: `${api}/pulls/${r.pullNumber}` } },
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
    author_association: 'NONE'
  })
}

export function listTag(urls: Urls, repo: Repository, name: string, commitSha: string): object {
  const api = `${urls.api}/repos/${repo.owner}/${repo.name}`
  return conform('tag', {
    name,
    commit: { sha: commitSha, url: `${api}/commits/${commitSha}` },
    zipball_url: `${api}/zipball/refs/tags/${name}`,
    tarball_url: `${api}/tarball/refs/tags/${name}`,
    node_id: nodeId('Tag', name)
  })
}

/** One file of a pull request's diff (`GET .../pulls/{n}/files`). */
export function diffEntry(
  urls: Urls,
  repo: Repository,
  f: {
    sha: string
    filename: string
    status: 'added' | 'removed' | 'modified'
    additions: number
    deletions: number
    patch: string
    ref: string
  }
): object {
  const web = `${urls.web}/${repo.owner}/${repo.name}`
  return conform('diff-entry', {
    sha: f.sha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${web}/blob/${f.ref}/${f.filename}`,
    raw_url: `${web}/raw/${f.ref}/${f.filename}`,
    contents_url: `${urls.api}/repos/${repo.owner}/${repo.name}/contents/${f.filename}?ref=${f.ref}`,
    ...(f.patch ? { patch: f.patch } : {})
  })
}

/** `GET .../compare/{base}...{head}`. */
export function comparison(
  urls: Urls,
  repo: Repository,
  c: {
    base: object
    mergeBase: object
    status: 'ahead' | 'behind' | 'identical' | 'diverged'
    aheadBy: number
    behindBy: number
    commits: object[]
    basehead: string
  }
): object {
  const web = `${urls.web}/${repo.owner}/${repo.name}`
  return conform('commit-comparison', {
    url: `${urls.api}/repos/${repo.owner}/${repo.name}/compare/${c.basehead}`,
    html_url: `${web}/compare/${c.basehead}`,
    permalink_url: `${web}/compare/${c.basehead}`,
    diff_url: `${web}/compare/${c.basehead}.diff`,
    patch_url: `${web}/compare/${c.basehead}.patch`,
    base_commit: c.base,
    merge_base_commit: c.mergeBase,
    status: c.status,
    ahead_by: c.aheadBy,
    behind_by: c.behindBy,
    total_commits: c.commits.length,
    commits: c.commits,
    files: []
  })
}
