// What GitHub tells a run about itself (GITHUB_* variables and the event payload), read once and
// typed. A pure function of the environment, so stages and tests never touch globals.
import { readFileSync } from 'node:fs'

export interface PullRequestContext {
  number: number
  headRef: string
  headSha: string
  /** owner/name of the head repository; differs from the base repository for a fork. */
  headRepo: string
  baseRef: string
  baseSha: string
  isFork: boolean
  author: string
}

export interface RunContext {
  owner: string
  repo: string
  sha: string
  ref: string
  eventName: string
  apiUrl: string
  serverUrl: string
  defaultBranch?: string
  pullRequest?: PullRequestContext
  /** The commit before a push (push events). */
  before?: string
  actor: string
}

export class ContextError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ContextError'
  }
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const repository = env.GITHUB_REPOSITORY ?? ''
  const [owner, repo] = repository.split('/')
  if (!owner || !repo) throw new ContextError(`GITHUB_REPOSITORY is '${repository}', not owner/name: is this running inside GitHub Actions?`)
  const event = readEvent(env.GITHUB_EVENT_PATH)
  const pr = event.pull_request as Record<string, unknown> | undefined
  return {
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    defaultBranch: stringAt(event, 'repository', 'default_branch'),
    pullRequest: pr ? pullRequestOf(pr, repository) : undefined,
    before: typeof event.before === 'string' ? event.before : undefined,
    actor: env.GITHUB_ACTOR ?? ''
  }
}

function readEvent(path: string | undefined): Record<string, unknown> {
  if (!path) return {}
  try {
    const event = JSON.parse(readFileSync(path, 'utf8')) as unknown
    return typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {}
  } catch (error) {
    throw new ContextError(`Cannot read the event payload at GITHUB_EVENT_PATH=${path}: ${(error as Error).message}`)
  }
}

function pullRequestOf(pr: Record<string, unknown>, repository: string): PullRequestContext {
  const headRepo = stringAt(pr, 'head', 'repo', 'full_name') ?? ''
  return {
    number: Number(pr.number),
    headRef: stringAt(pr, 'head', 'ref') ?? '',
    headSha: stringAt(pr, 'head', 'sha') ?? '',
    headRepo,
    baseRef: stringAt(pr, 'base', 'ref') ?? '',
    baseSha: stringAt(pr, 'base', 'sha') ?? '',
    isFork: headRepo !== '' && headRepo.toLowerCase() !== repository.toLowerCase(),
    author: stringAt(pr, 'user', 'login') ?? ''
  }
}

function stringAt(value: unknown, ...keys: string[]): string | undefined {
  let current = value
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return typeof current === 'string' ? current : undefined
}
