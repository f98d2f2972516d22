// The server's memory: repositories with git objects, refs, releases, pull requests and their
// comments, labels and reviews. Every method runs synchronously, so each HTTP request is applied
// atomically: two clients racing to create the same ref see exactly one success, as on GitHub.
import { createHash } from 'node:crypto'

export class GitHubFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** GitHub's `errors`: objects for validation failures, plain strings on some operations (reviews). */
    readonly errors?: ({ resource?: string; field?: string; code: string; message?: string } | string)[]
  ) {
    super(message)
  }
}

export interface Person {
  name: string
  email: string
  date: string
}

export type GitObject =
  | { type: 'blob'; sha: string; content: Buffer }
  | { type: 'tree'; sha: string; entries: TreeEntry[] }
  | { type: 'commit'; sha: string; message: string; tree: string; parents: string[]; author: Person; committer: Person }
  | { type: 'tag'; sha: string; tag: string; message: string; object: string; objectType: string; tagger: Person }

export interface TreeEntry {
  path: string
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
}

/** An entry of POST git/trees: a path that may be nested; sha null deletes it. */
export interface TreeItem {
  path: string
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string | null
}

export interface Release {
  id: number
  tagName: string
  targetCommitish: string
  name: string | null
  body: string | null
  draft: boolean
  prerelease: boolean
  immutable: boolean
  createdAt: string
  publishedAt: string | null
  author: string
}

export interface PullRequest {
  number: number
  id: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  draft: boolean
  /** Owner/name of the repository holding the head branch (a fork, or this repository). */
  headRepo: string
  headRef: string
  headSha: string
  baseRef: string
  baseSha: string
  user: string
  labels: string[]
  createdAt: string
  updatedAt: string
  closedAt: string | null
}

export interface IssueComment {
  id: number
  issueNumber: number
  body: string
  user: string
  createdAt: string
}

export interface ReviewComment {
  id: number
  pullNumber: number
  reviewId: number | null
  body: string
  path: string
  line: number | null
  side: 'LEFT' | 'RIGHT'
  commitId: string
  user: string
  createdAt: string
}

export interface Review {
  id: number
  pullNumber: number
  body: string
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'PENDING'
  commitId: string
  user: string
  submittedAt: string
}

export interface Label {
  id: number
  name: string
  color: string
}

export interface Repository {
  id: number
  owner: string
  name: string
  defaultBranch: string
  private: boolean
  /** Owner/name of the parent for a fork. */
  parent?: string
  /** Releases become immutable when published, as with GitHub's "immutable releases" setting. */
  immutableReleases: boolean
  objects: Map<string, GitObject>
  /** Full ref name (`refs/heads/main`) -> object sha. */
  refs: Map<string, string>
  releases: Release[]
  pulls: PullRequest[]
  issueComments: IssueComment[]
  reviewComments: ReviewComment[]
  reviews: Review[]
  labels: Map<string, Label>
}

/** A file's content, or its content and git mode (`100755` for executables). */
export type FileSpec = string | Buffer | { content: string | Buffer; mode: '100644' | '100755' }

export interface SeedRepoOptions {
  owner: string
  repo: string
  defaultBranch?: string
  /** Files of the first commit on the default branch. */
  files?: Record<string, FileSpec>
  private?: boolean
  immutableReleases?: boolean
  /** Makes this repository a fork of `owner/name`. */
  forkOf?: string
}

export const BOT = 'github-actions[bot]'

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Who the token belongs to: the author of API commits, PRs, comments and reviews it makes. */
export interface Actor {
  login: string
  name: string
  email: string
}

/** The default GITHUB_TOKEN's identity. */
export const GITHUB_ACTIONS_BOT: Actor = { login: BOT, name: BOT, email: '41898282+github-actions[bot]@users.noreply.github.com' }

export class GitHubStore {
  private readonly repos = new Map<string, Repository>()
  private nextId = 1000
  /** Set it to play a run with a personal access token or a GitHub App token. */
  actor: Actor = GITHUB_ACTIONS_BOT

  id(): number {
    return this.nextId++
  }

  seedRepo(options: SeedRepoOptions): { repo: Repository; headSha: string } {
    const key = `${options.owner}/${options.repo}`.toLowerCase()
    if (this.repos.has(key)) throw new Error(`Repository ${key} is already seeded`)
    const repo: Repository = {
      id: this.id(),
      owner: options.owner,
      name: options.repo,
      defaultBranch: options.defaultBranch ?? 'main',
      private: options.private ?? false,
      parent: options.forkOf,
      immutableReleases: options.immutableReleases ?? false,
      objects: new Map(),
      refs: new Map(),
      releases: [],
      pulls: [],
      issueComments: [],
      reviewComments: [],
      reviews: [],
      labels: new Map()
    }
    this.repos.set(key, repo)
    const headSha = this.commitFiles(repo, {
      files: options.files ?? { 'README.md': `# ${options.repo}\n` },
      message: 'Initial commit',
      parents: []
    })
    repo.refs.set(`refs/heads/${repo.defaultBranch}`, headSha)
    return { repo, headSha }
  }

  findRepo(owner: string, name: string): Repository | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase())
  }

  repo(owner: string, name: string): Repository {
    const repo = this.findRepo(owner, name)
    if (!repo) throw new GitHubFailure(404, 'Not Found')
    return repo
  }

  /** Writes blobs, a flat-or-nested tree and a commit; returns the commit sha (refs untouched). */
  commitFiles(repo: Repository, options: { files: Record<string, FileSpec>; message: string; parents: string[]; author?: Person }): string {
    const tree = this.applyTreeItems(repo, undefined, this.fileItems(repo, options.files))
    const person = options.author ?? { name: 'Test Author', email: 'author@example.invalid', date: now() }
    return this.addCommit(repo, { message: options.message, tree, parents: options.parents, author: person, committer: person })
  }

  /** A new commit on a branch with exactly these files (parents: the branch head); moves the branch. */
  pushCommit(owner: string, name: string, branch: string, files: Record<string, string>, message = 'Change'): string {
    const repo = this.repo(owner, name)
    const parent = repo.refs.get(`refs/heads/${branch}`)
    const sha = this.commitFiles(repo, { files, message, parents: parent ? [parent] : [] })
    repo.refs.set(`refs/heads/${branch}`, sha)
    return sha
  }

  /**
   * A new commit on a branch that changes some files and keeps the rest (null deletes), as a person
   * pushing to it would; moves the branch. The author defaults to a human.
   */
  pushChange(
    owner: string,
    name: string,
    branch: string,
    changes: Record<string, FileSpec | null>,
    options: { message?: string; author?: Person } = {}
  ): string {
    const repo = this.repo(owner, name)
    const parent = repo.refs.get(`refs/heads/${branch}`)
    const parentCommit = parent ? repo.objects.get(parent) : undefined
    const base = parentCommit?.type === 'commit' ? parentCommit.tree : undefined
    const items = Object.entries(changes).map(([path, spec]) =>
      spec === null ? { path, mode: '100644', type: 'blob' as const, sha: null } : this.fileItems(repo, { [path]: spec })[0]
    )
    const tree = this.applyTreeItems(repo, base, items)
    const author = options.author ?? { name: 'Jane Maintainer', email: 'jane@example.invalid', date: now() }
    const sha = this.addCommit(repo, {
      message: options.message ?? 'Change',
      tree,
      parents: parent ? [parent] : [],
      author,
      committer: author
    })
    repo.refs.set(`refs/heads/${branch}`, sha)
    return sha
  }

  private fileItems(repo: Repository, files: Record<string, FileSpec>): TreeItem[] {
    return Object.entries(files).map(([path, spec]) => {
      const { content, mode } = typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec, mode: '100644' } : spec
      return { path, mode, type: 'blob' as const, sha: this.addBlob(repo, Buffer.from(content)) }
    })
  }

  /**
   * What POST git/trees does: entries of `baseTree` (if any) with `items` laid over them. Paths may
   * be nested (`nix/deps.nix`): the subtrees on the way are rewritten, created when missing, and
   * dropped when a deletion (sha null) empties them. Returns the new root tree's sha.
   */
  applyTreeItems(repo: Repository, baseTree: string | undefined, items: TreeItem[]): string {
    interface Dir {
      entries: Map<string, TreeEntry>
      subdirs: Map<string, Dir>
    }
    const load = (sha: string | undefined): Dir => {
      const dir: Dir = { entries: new Map(), subdirs: new Map() }
      if (sha === undefined) return dir
      const tree = repo.objects.get(sha)
      if (tree?.type !== 'tree')
        throw new GitHubFailure(422, 'Invalid tree info', [{ resource: 'Tree', field: 'base_tree', code: 'invalid' }])
      for (const entry of tree.entries) dir.entries.set(entry.path, entry)
      return dir
    }
    const descend = (dir: Dir, name: string, create: boolean): Dir | undefined => {
      const known = dir.subdirs.get(name)
      if (known) return known
      const entry = dir.entries.get(name)
      if (entry && entry.type !== 'tree') {
        if (!create) return undefined
        throw new GitHubFailure(422, `GitRPC::BadObjectState: ${name} is a ${entry.type}, not a tree`)
      }
      if (!entry && !create) return undefined
      const sub = load(entry?.sha)
      dir.subdirs.set(name, sub)
      return sub
    }
    const root = load(baseTree)
    for (const item of items) {
      const parts = item.path.split('/')
      if (parts.some(part => part === '' || part === '.' || part === '..')) {
        throw new GitHubFailure(422, 'Invalid tree info', [
          { resource: 'Tree', field: 'path', code: 'invalid', message: `invalid path ${item.path}` }
        ])
      }
      let dir: Dir | undefined = root
      for (const part of parts.slice(0, -1)) {
        dir = descend(dir, part, item.sha !== null)
        if (!dir) break
      }
      if (!dir) continue // deleting under a folder that does not exist: nothing to do
      const name = parts[parts.length - 1]
      dir.subdirs.delete(name)
      if (item.sha === null) {
        dir.entries.delete(name)
        continue
      }
      if (!repo.objects.has(item.sha)) throw new GitHubFailure(422, 'GitRPC::BadObjectState')
      dir.entries.set(name, { path: name, mode: item.mode, type: item.type, sha: item.sha })
    }
    const write = (dir: Dir): string => {
      for (const [name, sub] of dir.subdirs) {
        const sha = write(sub)
        const tree = repo.objects.get(sha)
        if (tree?.type === 'tree' && tree.entries.length === 0) dir.entries.delete(name)
        else dir.entries.set(name, { path: name, mode: '040000', type: 'tree', sha })
      }
      return this.addTree(repo, [...dir.entries.values()])
    }
    return write(root)
  }

  /** Every file of a tree, by full path (for diffs and file listings). */
  flattenTree(repo: Repository, treeSha: string, prefix = ''): Map<string, TreeEntry> {
    const out = new Map<string, TreeEntry>()
    const tree = repo.objects.get(treeSha)
    if (tree?.type !== 'tree') return out
    for (const entry of tree.entries) {
      const path = prefix + entry.path
      if (entry.type === 'tree') for (const [p, e] of this.flattenTree(repo, entry.sha, `${path}/`)) out.set(p, e)
      else out.set(path, { ...entry, path })
    }
    return out
  }

  /** The head commit of a pull request: its branch's commit while open, as GitHub shows it. */
  pullHead(pr: PullRequest): string {
    const [owner, name] = pr.headRepo.split('/')
    const headRepo = this.findRepo(owner, name)
    const current = pr.state === 'open' ? headRepo?.refs.get(`refs/heads/${pr.headRef}`) : undefined
    if (current) pr.headSha = current
    this.linkPullHead(pr, headRepo)
    return pr.headSha
  }

  /**
   * As on GitHub: a pull request's head commit, with its history, is also held by the base
   * repository under `refs/pull/<n>/head`, so it outlives the fork it came from.
   */
  private linkPullHead(pr: PullRequest, headRepo: Repository | undefined): void {
    const base = this.all().find(r => r.pulls.includes(pr))
    if (!base) return
    if (headRepo && headRepo !== base) {
      const queue = [pr.headSha]
      while (queue.length > 0) {
        const sha = queue.pop() as string
        const object = headRepo.objects.get(sha)
        if (!object || base.objects.has(sha)) continue
        base.objects.set(sha, object)
        if (object.type === 'commit') queue.push(object.tree, ...object.parents)
        if (object.type === 'tree') queue.push(...object.entries.map(e => e.sha))
        if (object.type === 'tag') queue.push(object.object)
      }
    }
    if (base.objects.has(pr.headSha)) base.refs.set(`refs/pull/${pr.number}/head`, pr.headSha)
  }

  /** Deletes a repository, as its owner can: pull requests from it keep their head commit only. */
  deleteRepo(owner: string, name: string): void {
    const key = `${owner}/${name}`.toLowerCase()
    const repo = this.repos.get(key)
    if (!repo) throw new Error(`Repository ${key} does not exist`)
    for (const other of this.all()) for (const pr of other.pulls) if (pr.headRepo.toLowerCase() === key) this.pullHead(pr)
    this.repos.delete(key)
  }

  /** Commits reachable from `head` but not from `base`, oldest first, and the merge base. */
  compare(repo: Repository, base: string, head: string): { ahead: string[]; behind: string[]; mergeBase?: string } {
    const ancestors = (sha: string): string[] => {
      const seen: string[] = []
      const queue = [sha]
      while (queue.length > 0) {
        const next = queue.shift() as string
        if (seen.includes(next)) continue
        seen.push(next)
        const object = repo.objects.get(next)
        if (object?.type === 'commit') queue.push(...object.parents)
      }
      return seen
    }
    const fromBase = ancestors(base)
    const fromHead = ancestors(head)
    const mergeBase = fromHead.find(sha => fromBase.includes(sha))
    return {
      ahead: fromHead.filter(sha => !fromBase.includes(sha)).reverse(),
      behind: fromBase.filter(sha => !fromHead.includes(sha)).reverse(),
      mergeBase
    }
  }

  addBlob(repo: Repository, content: Buffer): string {
    // The real git object id, so blob shas match what `git hash-object` prints.
    const sha = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
    repo.objects.set(sha, { type: 'blob', sha, content })
    return sha
  }

  addTree(repo: Repository, entries: TreeEntry[]): string {
    const sorted = [...entries].sort((a, b) => a.path.localeCompare(b.path))
    const sha = objectSha('tree', sorted)
    repo.objects.set(sha, { type: 'tree', sha, entries: sorted })
    return sha
  }

  addCommit(repo: Repository, commit: { message: string; tree: string; parents: string[]; author: Person; committer: Person }): string {
    const sha = objectSha('commit', { ...commit, salt: this.id() })
    repo.objects.set(sha, { type: 'commit', sha, ...commit })
    return sha
  }

  addTag(repo: Repository, tag: { tag: string; message: string; object: string; objectType: string; tagger: Person }): string {
    const sha = objectSha('tag', { ...tag, salt: this.id() })
    repo.objects.set(sha, { type: 'tag', sha, ...tag })
    return sha
  }

  object(repo: Repository, sha: string): GitObject | undefined {
    return repo.objects.get(sha)
  }

  /** The commit a ref or sha finally points at (annotated tags peeled). */
  peel(repo: Repository, sha: string): string | undefined {
    let object = repo.objects.get(sha)
    while (object?.type === 'tag') object = repo.objects.get(object.object)
    return object?.type === 'commit' ? object.sha : undefined
  }

  /** Resolves a sha, a branch or a tag name to a commit sha. */
  resolveCommitish(repo: Repository, ref: string): string | undefined {
    if (/^[0-9a-f]{40}$/.test(ref)) return this.peel(repo, ref)
    for (const full of [ref, `refs/heads/${ref}`, `refs/tags/${ref}`]) {
      const sha = repo.refs.get(full)
      if (sha) return this.peel(repo, sha)
    }
    return undefined
  }

  isAncestor(repo: Repository, ancestor: string, descendant: string): boolean {
    const seen = new Set<string>()
    const queue = [descendant]
    while (queue.length > 0) {
      const sha = queue.pop() as string
      if (sha === ancestor) return true
      if (seen.has(sha)) continue
      seen.add(sha)
      const object = repo.objects.get(sha)
      if (object?.type === 'commit') queue.push(...object.parents)
    }
    return false
  }

  createRef(repo: Repository, ref: string, sha: string): void {
    if (!/^refs\/[^/]+\/.+/.test(ref) || ref.endsWith('/') || ref.includes('..')) {
      throw new GitHubFailure(422, `${ref} is not a valid ref name.`)
    }
    if (!repo.objects.has(sha)) throw new GitHubFailure(422, 'Object does not exist')
    if (repo.refs.has(ref)) throw new GitHubFailure(422, 'Reference already exists')
    repo.refs.set(ref, sha)
  }

  updateRef(repo: Repository, ref: string, sha: string, force: boolean): void {
    const current = repo.refs.get(ref)
    if (current === undefined) throw new GitHubFailure(422, 'Reference does not exist')
    if (!repo.objects.has(sha)) throw new GitHubFailure(422, 'Object does not exist')
    this.guardImmutableTag(repo, ref)
    if (!force && current !== sha) {
      const from = this.peel(repo, current)
      const to = this.peel(repo, sha)
      if (!from || !to || !this.isAncestor(repo, from, to)) throw new GitHubFailure(422, 'Update is not a fast forward')
    }
    repo.refs.set(ref, sha)
  }

  deleteRef(repo: Repository, ref: string): void {
    if (!repo.refs.has(ref)) throw new GitHubFailure(422, 'Reference does not exist')
    this.guardImmutableTag(repo, ref)
    repo.refs.delete(ref)
  }

  /** The tag of an immutable release cannot be moved or deleted. */
  private guardImmutableTag(repo: Repository, ref: string): void {
    const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined
    if (tag !== undefined && repo.releases.some(r => r.tagName === tag && r.immutable)) {
      throw new GitHubFailure(422, 'Repository rule violations found\n\nCannot update this protected ref.\n\n')
    }
  }

  createRelease(
    repo: Repository,
    input: {
      tagName: string
      target?: string
      name?: string
      body?: string
      draft: boolean
      prerelease: boolean
      generateNotes: boolean
      webUrl: string
    }
  ): Release {
    if (repo.releases.some(r => r.tagName === input.tagName && !r.draft) && !input.draft) {
      throw new GitHubFailure(422, 'Validation Failed', [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }])
    }
    const tagRef = `refs/tags/${input.tagName}`
    if (!repo.refs.has(tagRef) && !input.draft) {
      // As on GitHub: publishing a release for a missing tag creates a lightweight tag at the target.
      const target = this.resolveCommitish(repo, input.target ?? repo.defaultBranch)
      if (!target) throw new GitHubFailure(422, 'Validation Failed', [{ resource: 'Release', code: 'invalid', field: 'target_commitish' }])
      repo.refs.set(tagRef, target)
    }
    let body = input.body ?? null
    if (input.generateNotes) body = [input.body, this.generatedNotes(repo, input.tagName, input.webUrl)].filter(Boolean).join('\n\n')
    const created = now()
    const release: Release = {
      id: this.id(),
      tagName: input.tagName,
      targetCommitish: input.target ?? repo.defaultBranch,
      name: input.name ?? (input.generateNotes ? input.tagName : null),
      body,
      draft: input.draft,
      prerelease: input.prerelease,
      immutable: repo.immutableReleases && !input.draft,
      createdAt: created,
      publishedAt: input.draft ? null : created,
      author: this.actor.login
    }
    repo.releases.push(release)
    return release
  }

  private generatedNotes(repo: Repository, tagName: string, web: string): string {
    const previous = [...repo.releases].reverse().find(r => !r.draft && r.tagName !== tagName)
    const link = previous
      ? `${web}/${repo.owner}/${repo.name}/compare/${previous.tagName}...${tagName}`
      : `${web}/${repo.owner}/${repo.name}/commits/${tagName}`
    return `**Full Changelog**: ${link}`
  }

  all(): Repository[] {
    return [...this.repos.values()]
  }
}

function objectSha(type: string, content: unknown): string {
  return createHash('sha1').update(type).update(JSON.stringify(content)).digest('hex')
}
