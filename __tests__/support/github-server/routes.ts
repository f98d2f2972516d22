// What each implemented operation does to the store, keyed by the spec's operationId. Handlers are
// synchronous, so every request is applied atomically; failures are thrown as GitHubFailure and
// rendered by the server with GitHub's error shape.
import { countChanges, lineInDiff, unifiedPatch } from './diff.js'
import * as shape from './shapes.js'
import { GitHubFailure, type GitHubStore, type PullRequest, type Repository, type Review, type TreeItem } from './store.js'

export interface RouteContext {
  store: GitHubStore
  urls: shape.Urls
  params: Record<string, string>
  query: Record<string, string>
  // The body was validated against the operation's schema before the handler runs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  /** The full request URL, for pagination links. */
  url: URL
}

export interface RouteResult {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

export type RouteHandler = (ctx: RouteContext) => RouteResult

const notFound = (): GitHubFailure => new GitHubFailure(404, 'Not Found')
const stamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

function repoOf(ctx: RouteContext): Repository {
  return ctx.store.repo(ctx.params.owner, ctx.params.repo)
}

/** One page of a list, with the Link header Octokit's paginate follows. */
function paginate(ctx: RouteContext, items: unknown[]): RouteResult {
  const perPage = Math.min(Number(ctx.query.per_page ?? 30) || 30, 100)
  const page = Math.max(Number(ctx.query.page ?? 1) || 1, 1)
  const last = Math.max(Math.ceil(items.length / perPage), 1)
  const link = (n: number, rel: string): string => {
    const url = new URL(ctx.url)
    url.searchParams.set('per_page', String(perPage))
    url.searchParams.set('page', String(n))
    return `<${url}>; rel="${rel}"`
  }
  const links = [
    page < last ? link(page + 1, 'next') : '',
    page < last ? link(last, 'last') : '',
    page > 1 ? link(1, 'first') : '',
    page > 1 ? link(page - 1, 'prev') : ''
  ]
  const header = links.filter(Boolean).join(', ')
  return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers: header ? { link: header } : {} }
}

function object(ctx: RouteContext, repo: Repository, sha: string, type: string): RouteResult['body'] {
  const found = ctx.store.object(repo, sha)
  if (!found || found.type !== type) throw notFound()
  switch (found.type) {
    case 'blob':
      return shape.blob(ctx.urls, repo, found)
    case 'tree':
      return shape.gitTree(ctx.urls, repo, found)
    case 'commit':
      return shape.gitCommit(ctx.urls, repo, found)
    case 'tag':
      return shape.gitTag(ctx.urls, repo, found)
  }
}

function refResult(ctx: RouteContext, repo: Repository, ref: string, status = 200): RouteResult {
  const sha = repo.refs.get(ref) as string
  return { status, body: shape.gitRef(ctx.urls, repo, ref, sha, repo.objects.get(sha)) }
}

/** A commit's author or committer; GitHub fills in the token's identity when the client sends none. */
function person(
  ctx: RouteContext,
  input: { name?: string; email?: string; date?: string } | undefined
): { name: string; email: string; date: string } {
  return { name: input?.name ?? ctx.store.actor.name, email: input?.email ?? ctx.store.actor.email, date: input?.date ?? stamp() }
}

/** The text of a file at a commit ('' when absent), for diffs. */
function fileText(ctx: RouteContext, repo: Repository, commitSha: string, path: string): string | undefined {
  const commit = ctx.store.object(repo, commitSha)
  if (commit?.type !== 'commit') return undefined
  const entry = ctx.store.flattenTree(repo, commit.tree).get(path)
  const blob = entry ? ctx.store.object(repo, entry.sha) : undefined
  return blob?.type === 'blob' ? blob.content.toString('utf8') : undefined
}

/** The repository holding a pull request's head commit (a fork, or the base repository). */
function headRepoOf(ctx: RouteContext, pr: PullRequest): Repository {
  const [owner, name] = pr.headRepo.split('/')
  return ctx.store.findRepo(owner, name) ?? ctx.store.repo(ctx.params.owner, ctx.params.repo)
}

function findPull(repo: Repository, number: string): PullRequest {
  const pr = repo.pulls.find(p => p.number === Number(number))
  if (!pr) throw notFound()
  return pr
}

/** `owner:branch` or `branch` (same repository) as GitHub accepts for `head`. */
function parseHead(repo: Repository, head: string): { owner: string; branch: string } {
  const colon = head.indexOf(':')
  return colon === -1 ? { owner: repo.owner, branch: head } : { owner: head.slice(0, colon), branch: head.slice(colon + 1) }
}

function headRepoFor(ctx: RouteContext, repo: Repository, owner: string): Repository | undefined {
  if (owner.toLowerCase() === repo.owner.toLowerCase()) return repo
  // A fork is found by its owner; GitHub requires the fork to share the network.
  return ctx.store
    .all()
    .find(r => r.owner.toLowerCase() === owner.toLowerCase() && r.parent?.toLowerCase() === `${repo.owner}/${repo.name}`.toLowerCase())
}

export const routes: Record<string, RouteHandler> = {
  'repos/get': ctx => {
    const repo = repoOf(ctx)
    const parent = repo.parent ? ctx.store.findRepo(...(repo.parent.split('/') as [string, string])) : undefined
    return { status: 200, body: shape.repository(ctx.urls, repo, 'full-repository', parent) }
  },

  'repos/get-commit': ctx => {
    const repo = repoOf(ctx)
    const sha = ctx.store.resolveCommitish(repo, ctx.params.ref)
    if (!sha) throw new GitHubFailure(422, `No commit found for SHA: ${ctx.params.ref}`)
    return {
      status: 200,
      body: shape.commit(ctx.urls, repo, ctx.store.object(repo, sha) as Extract<ReturnType<GitHubStore['object']>, { type: 'commit' }>)
    }
  },

  'repos/list-tags': ctx => {
    const repo = repoOf(ctx)
    const tags = [...repo.refs.entries()]
      .filter(([ref]) => ref.startsWith('refs/tags/'))
      .map(([ref, sha]) => ({ name: ref.slice('refs/tags/'.length), commit: ctx.store.peel(repo, sha) }))
      .filter((t): t is { name: string; commit: string } => t.commit !== undefined)
      // GitHub lists tags newest name first.
      .sort((a, b) => b.name.localeCompare(a.name, undefined, { numeric: true }))
    return paginate(
      ctx,
      tags.map(t => shape.listTag(ctx.urls, repo, t.name, t.commit))
    )
  },

  'git/create-blob': ctx => {
    const repo = repoOf(ctx)
    const encoding = ctx.body.encoding ?? 'utf-8'
    if (!['utf-8', 'base64'].includes(encoding)) throw new GitHubFailure(422, `encoding must be one of utf-8 or base64`)
    const sha = ctx.store.addBlob(repo, Buffer.from(ctx.body.content, encoding === 'base64' ? 'base64' : 'utf8'))
    return { status: 201, body: { url: `${ctx.urls.api}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`, sha } }
  },
  'git/get-blob': ctx => ({ status: 200, body: object(ctx, repoOf(ctx), ctx.params.file_sha, 'blob') }),

  'git/create-tree': ctx => {
    const repo = repoOf(ctx)
    const items: TreeItem[] = (
      ctx.body.tree as { path: string; mode: string; type: 'blob' | 'tree' | 'commit'; sha?: string | null; content?: string }[]
    ).map(item => ({
      path: item.path,
      mode: item.mode,
      type: item.type,
      sha: item.content !== undefined ? ctx.store.addBlob(repo, Buffer.from(item.content)) : item.sha === undefined ? '' : item.sha
    }))
    const sha = ctx.store.applyTreeItems(repo, ctx.body.base_tree, items)
    return { status: 201, body: object(ctx, repo, sha, 'tree') }
  },
  'git/get-tree': ctx => ({ status: 200, body: object(ctx, repoOf(ctx), ctx.params.tree_sha, 'tree') }),

  'git/create-commit': ctx => {
    const repo = repoOf(ctx)
    if (ctx.store.object(repo, ctx.body.tree)?.type !== 'tree') throw new GitHubFailure(422, 'Tree SHA does not exist')
    const parents: string[] = ctx.body.parents ?? []
    for (const parent of parents) {
      if (ctx.store.object(repo, parent)?.type !== 'commit')
        throw new GitHubFailure(422, 'Parent SHA does not exist or is not a commit object')
    }
    const author = person(ctx, ctx.body.author)
    const sha = ctx.store.addCommit(repo, {
      message: ctx.body.message,
      tree: ctx.body.tree,
      parents,
      author,
      committer: ctx.body.committer ? person(ctx, ctx.body.committer) : author
    })
    return {
      status: 201,
      body: object(ctx, repo, sha, 'commit'),
      headers: { location: `${ctx.urls.api}/repos/${repo.owner}/${repo.name}/git/commits/${sha}` }
    }
  },
  'git/get-commit': ctx => ({ status: 200, body: object(ctx, repoOf(ctx), ctx.params.commit_sha, 'commit') }),

  'git/create-tag': ctx => {
    const repo = repoOf(ctx)
    const target = ctx.store.object(repo, ctx.body.object)
    if (!target) throw new GitHubFailure(422, 'Object does not exist')
    if (target.type !== ctx.body.type) throw new GitHubFailure(422, `Object is a ${target.type}, not a ${ctx.body.type}`)
    const sha = ctx.store.addTag(repo, {
      tag: ctx.body.tag,
      message: ctx.body.message,
      object: ctx.body.object,
      objectType: ctx.body.type,
      tagger: person(ctx, ctx.body.tagger)
    })
    return {
      status: 201,
      body: object(ctx, repo, sha, 'tag'),
      headers: { location: `${ctx.urls.api}/repos/${repo.owner}/${repo.name}/git/tags/${sha}` }
    }
  },
  'git/get-tag': ctx => ({ status: 200, body: object(ctx, repoOf(ctx), ctx.params.tag_sha, 'tag') }),

  'git/get-ref': ctx => {
    const repo = repoOf(ctx)
    const ref = `refs/${ctx.params.ref}`
    if (!repo.refs.has(ref)) throw notFound()
    return refResult(ctx, repo, ref)
  },
  'git/list-matching-refs': ctx => {
    const repo = repoOf(ctx)
    const prefix = `refs/${ctx.params.ref}`
    const refs = [...repo.refs.keys()].filter(ref => ref.startsWith(prefix)).sort()
    return { status: 200, body: refs.map(ref => refResult(ctx, repo, ref).body) }
  },
  'git/create-ref': ctx => {
    const repo = repoOf(ctx)
    ctx.store.createRef(repo, ctx.body.ref, ctx.body.sha)
    const result = refResult(ctx, repo, ctx.body.ref, 201)
    return { ...result, headers: { location: `${ctx.urls.api}/repos/${repo.owner}/${repo.name}/git/${ctx.body.ref}` } }
  },
  'git/update-ref': ctx => {
    const repo = repoOf(ctx)
    const ref = `refs/${ctx.params.ref}`
    ctx.store.updateRef(repo, ref, ctx.body.sha, ctx.body.force === true)
    return refResult(ctx, repo, ref)
  },
  'git/delete-ref': ctx => {
    const repo = repoOf(ctx)
    ctx.store.deleteRef(repo, `refs/${ctx.params.ref}`)
    // As on GitHub: deleting a branch closes the open pull requests from it.
    const branch = ctx.params.ref.startsWith('heads/') ? ctx.params.ref.slice('heads/'.length) : undefined
    for (const r of ctx.store.all()) {
      for (const pr of r.pulls) {
        if (pr.state === 'open' && pr.headRef === branch && pr.headRepo.toLowerCase() === `${repo.owner}/${repo.name}`.toLowerCase()) {
          pr.state = 'closed'
          pr.closedAt = stamp()
        }
      }
    }
    return { status: 204 }
  },

  'repos/compare-commits-with-basehead': ctx => {
    const repo = repoOf(ctx)
    const match = /^(.+?)\.\.\.(.+)$/.exec(ctx.params.basehead)
    if (!match) throw notFound()
    const base = ctx.store.resolveCommitish(repo, match[1])
    const head = ctx.store.resolveCommitish(repo, match[2])
    if (!base || !head) throw notFound()
    const { ahead, behind, mergeBase } = ctx.store.compare(repo, base, head)
    const status =
      ahead.length === 0 && behind.length === 0 ? 'identical' : behind.length === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged'
    const commitOf = (sha: string) =>
      shape.commit(ctx.urls, repo, ctx.store.object(repo, sha) as Extract<ReturnType<GitHubStore['object']>, { type: 'commit' }>)
    return {
      status: 200,
      body: shape.comparison(ctx.urls, repo, {
        base: commitOf(base),
        mergeBase: commitOf(mergeBase ?? base),
        status,
        aheadBy: ahead.length,
        behindBy: behind.length,
        commits: ahead.map(commitOf),
        basehead: ctx.params.basehead
      })
    }
  },

  'repos/create-release': ctx => {
    const repo = repoOf(ctx)
    const created = ctx.store.createRelease(repo, {
      tagName: ctx.body.tag_name,
      target: ctx.body.target_commitish,
      name: ctx.body.name,
      body: ctx.body.body,
      draft: ctx.body.draft === true,
      prerelease: ctx.body.prerelease === true,
      generateNotes: ctx.body.generate_release_notes === true,
      webUrl: ctx.urls.web
    })
    return {
      status: 201,
      body: shape.release(ctx.urls, repo, created),
      headers: { location: `${ctx.urls.api}/repos/${repo.owner}/${repo.name}/releases/${created.id}` }
    }
  },
  'repos/get-release-by-tag': ctx => {
    const repo = repoOf(ctx)
    const found = repo.releases.find(r => r.tagName === ctx.params.tag && !r.draft)
    if (!found) throw notFound()
    return { status: 200, body: shape.release(ctx.urls, repo, found) }
  },
  'repos/get-release': ctx => {
    const repo = repoOf(ctx)
    const found = repo.releases.find(r => r.id === Number(ctx.params.release_id))
    if (!found) throw notFound()
    return { status: 200, body: shape.release(ctx.urls, repo, found) }
  },
  'repos/get-latest-release': ctx => {
    const repo = repoOf(ctx)
    const published = repo.releases.filter(r => !r.draft && !r.prerelease)
    const latest = published[published.length - 1]
    if (!latest) throw notFound()
    return { status: 200, body: shape.release(ctx.urls, repo, latest) }
  },
  'repos/list-releases': ctx => {
    const repo = repoOf(ctx)
    return paginate(
      ctx,
      [...repo.releases].reverse().map(r => shape.release(ctx.urls, repo, r))
    )
  },
  'repos/update-release': ctx => {
    const repo = repoOf(ctx)
    const found = repo.releases.find(r => r.id === Number(ctx.params.release_id))
    if (!found) throw notFound()
    if (found.immutable && (ctx.body.tag_name !== undefined || ctx.body.target_commitish !== undefined)) {
      throw new GitHubFailure(422, 'Cannot modify the tag of an immutable release.')
    }
    if (ctx.body.tag_name !== undefined) found.tagName = ctx.body.tag_name
    if (ctx.body.name !== undefined) found.name = ctx.body.name
    if (ctx.body.body !== undefined) found.body = ctx.body.body
    if (ctx.body.prerelease !== undefined) found.prerelease = ctx.body.prerelease
    if (ctx.body.draft === false && found.draft) {
      found.draft = false
      found.publishedAt = stamp()
      found.immutable = repo.immutableReleases
    }
    return { status: 200, body: shape.release(ctx.urls, repo, found) }
  },

  'pulls/list': ctx => {
    const repo = repoOf(ctx)
    const state = ctx.query.state ?? 'open'
    let pulls = repo.pulls.filter(p => state === 'all' || p.state === state)
    if (ctx.query.head) {
      const head = parseHead(repo, ctx.query.head)
      pulls = pulls.filter(p => p.headRepo.split('/')[0].toLowerCase() === head.owner.toLowerCase() && p.headRef === head.branch)
    }
    if (ctx.query.base) pulls = pulls.filter(p => p.baseRef === ctx.query.base)
    const ordered = ctx.query.direction === 'asc' ? pulls : [...pulls].reverse()
    return paginate(
      ctx,
      ordered.map(p => shape.pullRequest(ctx.urls, ctx.store, repo, p, 'pull-request-simple'))
    )
  },
  'pulls/get': ctx => {
    const repo = repoOf(ctx)
    return { status: 200, body: shape.pullRequest(ctx.urls, ctx.store, repo, findPull(repo, ctx.params.pull_number)) }
  },
  'pulls/create': ctx => {
    const repo = repoOf(ctx)
    const head = parseHead(repo, ctx.body.head)
    const headRepo = headRepoFor(ctx, repo, head.owner)
    const headSha = headRepo?.refs.get(`refs/heads/${head.branch}`)
    if (!headRepo || !headSha)
      throw new GitHubFailure(422, 'Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }])
    const baseSha = repo.refs.get(`refs/heads/${ctx.body.base}`)
    if (!baseSha) throw new GitHubFailure(422, 'Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
    const headName = `${headRepo.owner}/${headRepo.name}`
    if (repo.pulls.some(p => p.state === 'open' && p.headRepo === headName && p.headRef === head.branch && p.baseRef === ctx.body.base)) {
      throw new GitHubFailure(422, 'Validation Failed', [
        { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${headRepo.owner}:${head.branch}.` }
      ])
    }
    if (headSha === baseSha) {
      throw new GitHubFailure(422, 'Validation Failed', [
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${ctx.body.base} and ${head.branch}` }
      ])
    }
    const created = stamp()
    const pr: PullRequest = {
      number: Math.max(0, ...repo.pulls.map(p => p.number)) + 1,
      id: ctx.store.id(),
      title: ctx.body.title ?? head.branch,
      body: ctx.body.body ?? null,
      state: 'open',
      draft: ctx.body.draft === true,
      headRepo: headName,
      headRef: head.branch,
      headSha,
      baseRef: ctx.body.base,
      baseSha,
      user: ctx.store.actor.login,
      labels: [],
      createdAt: created,
      updatedAt: created,
      closedAt: null
    }
    repo.pulls.push(pr)
    ctx.store.pullHead(pr) // links refs/pull/<n>/head, as GitHub does
    return {
      status: 201,
      body: shape.pullRequest(ctx.urls, ctx.store, repo, pr),
      headers: { location: `${ctx.urls.api}/repos/${repo.owner}/${repo.name}/pulls/${pr.number}` }
    }
  },
  'pulls/update': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.pull_number)
    if (ctx.body.title !== undefined) pr.title = ctx.body.title
    if (ctx.body.body !== undefined) pr.body = ctx.body.body
    if (ctx.body.base !== undefined) {
      const baseSha = repo.refs.get(`refs/heads/${ctx.body.base}`)
      if (!baseSha) throw new GitHubFailure(422, 'Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
      pr.baseRef = ctx.body.base
      pr.baseSha = baseSha
    }
    if (ctx.body.state !== undefined && ctx.body.state !== pr.state) {
      if (ctx.body.state === 'closed') ctx.store.pullHead(pr) // frozen at its last head
      pr.state = ctx.body.state
      pr.closedAt = pr.state === 'closed' ? stamp() : null
    }
    pr.updatedAt = stamp()
    return { status: 200, body: shape.pullRequest(ctx.urls, ctx.store, repo, pr) }
  },

  'issues/create-comment': ctx => {
    const repo = repoOf(ctx)
    findPull(repo, ctx.params.issue_number)
    const comment = {
      id: ctx.store.id(),
      issueNumber: Number(ctx.params.issue_number),
      body: ctx.body.body,
      user: ctx.store.actor.login,
      createdAt: stamp()
    }
    repo.issueComments.push(comment)
    return { status: 201, body: shape.issueComment(ctx.urls, repo, comment) }
  },
  'issues/update-comment': ctx => {
    const repo = repoOf(ctx)
    const comment = repo.issueComments.find(c => c.id === Number(ctx.params.comment_id))
    if (!comment) throw notFound()
    comment.body = ctx.body.body
    return { status: 200, body: shape.issueComment(ctx.urls, repo, comment) }
  },
  'issues/list-comments': ctx => {
    const repo = repoOf(ctx)
    findPull(repo, ctx.params.issue_number)
    const comments = repo.issueComments.filter(c => c.issueNumber === Number(ctx.params.issue_number))
    return paginate(
      ctx,
      comments.map(c => shape.issueComment(ctx.urls, repo, c))
    )
  },
  'issues/add-labels': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.issue_number)
    const names: string[] = Array.isArray(ctx.body)
      ? ctx.body.map((l: string | { name: string }) => (typeof l === 'string' ? l : l.name))
      : (ctx.body.labels ?? [])
    for (const name of names) {
      if (!repo.labels.has(name)) repo.labels.set(name, { id: ctx.store.id(), name, color: 'ededed' })
      if (!pr.labels.includes(name)) pr.labels.push(name)
    }
    return {
      status: 200,
      body: pr.labels.map(name =>
        shape.label(ctx.urls, repo, repo.labels.get(name) as NonNullable<ReturnType<Repository['labels']['get']>>)
      )
    }
  },

  'pulls/create-review-comment': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.pull_number)
    if (ctx.body.in_reply_to === undefined && (ctx.body.commit_id === undefined || ctx.body.path === undefined)) {
      throw new GitHubFailure(422, 'Validation Failed', [
        { resource: 'PullRequestReviewComment', code: 'missing_field', field: 'commit_id' }
      ])
    }
    const comment = {
      id: ctx.store.id(),
      pullNumber: pr.number,
      reviewId: null,
      body: ctx.body.body,
      path: ctx.body.path ?? '',
      line: ctx.body.line ?? null,
      side: (ctx.body.side ?? 'RIGHT') as 'LEFT' | 'RIGHT',
      commitId: ctx.body.commit_id ?? ctx.store.pullHead(pr),
      user: ctx.store.actor.login,
      createdAt: stamp()
    }
    repo.reviewComments.push(comment)
    return { status: 201, body: shape.reviewComment(ctx.urls, repo, comment) }
  },
  'pulls/create-review': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.pull_number)
    const events: Record<string, 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED'> = {
      APPROVE: 'APPROVED',
      REQUEST_CHANGES: 'CHANGES_REQUESTED',
      COMMENT: 'COMMENTED'
    }
    const state: Review['state'] = ctx.body.event ? events[ctx.body.event] : 'PENDING'
    if (state !== 'APPROVED' && state !== 'PENDING' && !ctx.body.body && !(ctx.body.comments ?? []).length) {
      throw new GitHubFailure(422, 'Unprocessable Entity', [{ code: 'custom', message: `Review body is required for ${ctx.body.event}` }])
    }
    const commitId: string = ctx.body.commit_id ?? ctx.store.pullHead(pr)
    const comments = (ctx.body.comments ?? []) as { path: string; body: string; line?: number; side?: 'LEFT' | 'RIGHT' }[]
    // As on GitHub: a comment can only sit on a line the pull request's diff shows.
    const headRepo = headRepoOf(ctx, pr)
    for (const c of comments) {
      const after = fileText(ctx, headRepo, commitId, c.path)
      const before = fileText(ctx, repo, pr.baseSha, c.path) ?? ''
      if (after === undefined || c.line === undefined || (c.side ?? 'RIGHT') !== 'RIGHT' || !lineInDiff(before, after, c.line)) {
        throw new GitHubFailure(422, 'Unprocessable Entity', ['Pull request review thread line must be part of the diff'] as never)
      }
    }
    const r = {
      id: ctx.store.id(),
      pullNumber: pr.number,
      body: ctx.body.body ?? '',
      state,
      commitId,
      user: ctx.store.actor.login,
      submittedAt: stamp()
    }
    repo.reviews.push(r)
    for (const c of comments) {
      repo.reviewComments.push({
        id: ctx.store.id(),
        pullNumber: pr.number,
        reviewId: r.id,
        body: c.body,
        path: c.path,
        line: c.line ?? null,
        side: c.side ?? 'RIGHT',
        commitId: r.commitId,
        user: ctx.store.actor.login,
        createdAt: r.submittedAt
      })
    }
    return { status: 200, body: shape.review(ctx.urls, repo, r) }
  },
  'pulls/list-review-comments': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.pull_number)
    return paginate(
      ctx,
      repo.reviewComments.filter(c => c.pullNumber === pr.number).map(c => shape.reviewComment(ctx.urls, repo, c))
    )
  },
  'pulls/list-files': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.pull_number)
    const headRepo = headRepoOf(ctx, pr)
    const headCommit = ctx.store.object(headRepo, ctx.store.pullHead(pr))
    const baseCommit = ctx.store.object(repo, pr.baseSha)
    const after = headCommit?.type === 'commit' ? ctx.store.flattenTree(headRepo, headCommit.tree) : new Map()
    const before = baseCommit?.type === 'commit' ? ctx.store.flattenTree(repo, baseCommit.tree) : new Map()
    const text = (r: Repository, sha: string | undefined): string => {
      const blob = sha ? ctx.store.object(r, sha) : undefined
      return blob?.type === 'blob' ? blob.content.toString('utf8') : ''
    }
    const files = [...new Set([...before.keys(), ...after.keys()])]
      .sort()
      .filter(path => before.get(path)?.sha !== after.get(path)?.sha || before.get(path)?.mode !== after.get(path)?.mode)
      .map(path => {
        const old = before.get(path)
        const now = after.get(path)
        const a = text(repo, old?.sha)
        const b = text(headRepo, now?.sha)
        const { additions, deletions } = countChanges(a, b)
        return shape.diffEntry(ctx.urls, repo, {
          sha: now?.sha ?? old?.sha ?? '',
          filename: path,
          status: !old ? 'added' : !now ? 'removed' : 'modified',
          additions,
          deletions,
          patch: unifiedPatch(a, b),
          ref: ctx.store.pullHead(pr)
        })
      })
    return paginate(ctx, files)
  },
  'pulls/list-reviews': ctx => {
    const repo = repoOf(ctx)
    const pr = findPull(repo, ctx.params.pull_number)
    return paginate(
      ctx,
      repo.reviews.filter(r => r.pullNumber === pr.number).map(r => shape.review(ctx.urls, repo, r))
    )
  }
}
