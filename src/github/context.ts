// What GitHub tells a run about itself (GITHUB_* variables and the event payload), read once and
// typed. A pure function of the environment, so stages and tests never touch globals.
import { errorMessage } from '../errors.js'
import { readFileSync } from 'node:fs'
import type { GitHubClient } from './client.js'

export interface PullRequestContext {
  number: number
  headRef: string
  headSha: string
  /** owner/name of the head repository; '' when GitHub no longer knows it (a deleted fork). */
  headRepo: string
  /** GitHub's id of the head repository, when the payload names one. */
  headRepoId?: number
  /** GitHub's id of the repository the pull request is into. */
  baseRepoId?: number
  baseRef: string
  baseSha: string
  /**
   * Fails closed: true unless the head repository is known to be the base repository (same id).
   * A deleted fork (`head.repo: null`) or a payload without ids counts as a fork.
   */
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

/** Where the run's GitHub work goes (the fix PR, the release): a client, the repository, the commit built. */
export interface GitHubTarget {
  octokit: GitHubClient
  owner: string
  repo: string
  sha: string
  /** The event this run is for (pull request, push): the fix PR stage decides by it. */
  context: RunContext
  /** True when the token is the default GITHUB_TOKEN (its pushes start no workflow runs). */
  defaultToken?: boolean
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
  if (!owner || !repo)
    throw new ContextError(`GITHUB_REPOSITORY is '${repository}', not owner/name: is this running inside GitHub Actions?`)
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
    pullRequest: pr ? pullRequestOf(pr, numberAt(event, 'repository', 'id')) : undefined,
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
    throw new ContextError(`Cannot read the event payload at GITHUB_EVENT_PATH=${path}: ${errorMessage(error)}`)
  }
}

function pullRequestOf(pr: Record<string, unknown>, eventRepositoryId: number | undefined): PullRequestContext {
  const headRepoId = numberAt(pr, 'head', 'repo', 'id')
  const baseRepoId = numberAt(pr, 'base', 'repo', 'id') ?? eventRepositoryId
  return {
    number: Number(pr.number),
    headRef: stringAt(pr, 'head', 'ref') ?? '',
    headSha: stringAt(pr, 'head', 'sha') ?? '',
    headRepo: stringAt(pr, 'head', 'repo', 'full_name') ?? '',
    headRepoId,
    baseRepoId,
    baseRef: stringAt(pr, 'base', 'ref') ?? '',
    baseSha: stringAt(pr, 'base', 'sha') ?? '',
    isFork: !sameRepository(headRepoId, baseRepoId),
    author: stringAt(pr, 'user', 'login') ?? ''
  }
}

/**
 * Whether two repository ids name one repository. Names are not compared: a fork can be renamed or
 * transferred, and a deleted fork has no name at all; an unknown id never matches.
 */
export function sameRepository(a: number | undefined | null, b: number | undefined | null): boolean {
  return typeof a === 'number' && typeof b === 'number' && a === b
}

function valueAt(value: unknown, keys: string[]): unknown {
  let current = value
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

function stringAt(value: unknown, ...keys: string[]): string | undefined {
  const found = valueAt(value, keys)
  return typeof found === 'string' ? found : undefined
}

function numberAt(value: unknown, ...keys: string[]): number | undefined {
  const found = valueAt(value, keys)
  return typeof found === 'number' && Number.isSafeInteger(found) ? found : undefined
}
