// The one way nix-ci talks to GitHub: @actions/github's Octokit with retries for server errors and
// dropped connections, and the throttling plugin for rate limits, each bounded so a run never hangs.
// `explainGitHubError` turns Octokit's errors into messages that say what to change.
import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'

export type GitHubClient = ReturnType<typeof getOctokit>

/** A repository and the client to reach it. */
export interface Repo {
  octokit: GitHubClient
  owner: string
  repo: string
}

export interface GitHubClientOptions {
  token: string
  /** API root; defaults to GITHUB_API_URL (set on GitHub Enterprise runners), then api.github.com. */
  baseUrl?: string
  /** Where retry and rate-limit messages go (e.g. reporter.warning). */
  log?: (message: string) => void
  /** Retries after a 5xx or a dropped connection (default 3). */
  retries?: number
  /** Retries after a primary or secondary rate limit (default 2). */
  rateLimitRetries?: number
  /** Unit of the retry back-off and of `retry-after`, in ms (default 1000; tests use less). */
  retryAfterBaseMs?: number
  /**
   * Octokit spaces writes one second apart (three for writes that notify people, such as releases
   * and comments), as GitHub asks in order to avoid secondary rate limits.
   * Only tests against a local server turn this off.
   */
  paceWrites?: boolean
  /** Separates this client's throttling queues from other clients in the same process. */
  throttleId?: string
}

// A stand-in for the throttling plugin's write queues that runs each job at once.
const unpaced = { key: () => ({ schedule: (_options: unknown, job: () => Promise<unknown>) => job() }) }

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const log = options.log ?? (() => {})
  const rateLimitRetries = options.rateLimitRetries ?? 2
  const baseMs = options.retryAfterBaseMs ?? 1000
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      if (retryCount >= rateLimitRetries) {
        log(`GitHub ${kind} rate limit hit on ${request.method} ${request.url}; giving up after ${retryCount} retries.`)
        return false
      }
      log(
        `GitHub ${kind} rate limit hit on ${request.method} ${request.url}; retrying in ${retryAfter} s (retry ${retryCount + 1} of ${rateLimitRetries}).`
      )
      return true
    }
  return getOctokit(
    options.token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
      // 429 is left to the throttling plugin, which reads the rate-limit reset time.
      retry: { retries: options.retries ?? 3, retryAfterBaseValue: baseMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        id: options.throttleId ?? 'nix-ci',
        retryAfterBaseValue: baseMs,
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        ...(options.paceWrites === false ? { write: unpaced as never, notifications: unpaced as never } : {})
      },
      log: { debug: () => {}, info: () => {}, warn: (message: string) => log(message), error: (message: string) => log(message) }
    },
    retry,
    throttling
  )
}

/** The fields of Octokit's RequestError this module reads (it is not imported: a transitive package). */
interface RequestErrorLike {
  name: string
  status: number
  message: string
  request?: { method?: string; url?: string; request?: { retryCount?: number } }
  response?: { status: number; data?: unknown; headers?: Record<string, string | number | undefined> }
}

export function isRequestError(error: unknown): error is RequestErrorLike {
  return error instanceof Error && error.name === 'HttpError' && typeof (error as { status?: unknown }).status === 'number'
}

export interface ErrorContext {
  /** What nix-ci was doing, e.g. "create the tag v1.2.3". */
  action: string
  owner: string
  repo: string
  /** The `permissions:` entries this call needs, e.g. { contents: 'write' }. */
  permissions?: Record<string, 'read' | 'write'>
}

/** @octokit/graphql's error for an answer that carries `errors` (GitHub's GraphQL API answers HTTP 200). */
export function isGraphQLResponseError(error: unknown): error is Error & { errors?: { type?: string; message: string }[] } {
  return error instanceof Error && error.name === 'GraphqlResponseError'
}

/** A message that says what went wrong and what to do about it. */
export function explainGitHubError(error: unknown, context: ErrorContext): string {
  const where = `${context.owner}/${context.repo}`
  if (isGraphQLResponseError(error)) return explainGraphQLError(error, context)
  if (!isRequestError(error)) return `Could not ${context.action} in ${where}: ${error instanceof Error ? error.message : String(error)}`
  const data = (error.response?.data ?? {}) as { message?: string; errors?: { message?: string; code?: string; field?: string }[] }
  const message = data.message ?? error.message
  if (error.response === undefined) {
    return (
      `Could not reach GitHub to ${context.action} (${error.request?.method ?? ''} ${error.request?.url ?? ''}): ${error.message}. ` +
      'The request was retried and still failed: check the runner can reach the GitHub API (GITHUB_API_URL, proxy settings), then re-run the job.'
    )
  }
  const status = error.response.status
  if (status === 403 && /not accessible by integration/i.test(message)) return missingPermission(message, context)
  if (status === 401)
    return `GitHub rejected the token while trying to ${context.action} in ${where} (${message}): pass a valid token in 'github-token'.`
  if (status === 404) {
    return (
      `GitHub answered 404 Not Found while trying to ${context.action} in ${where}: the token cannot see this repository ` +
      '(or the object does not exist). Check the repository name, and for a private repository or another repository use a token with access to it.'
    )
  }
  if (RULE_VIOLATION.test(message)) return ruleViolation(message, context)
  if (status === 403 || status === 429) {
    return `GitHub kept rate-limiting nix-ci while trying to ${context.action} in ${where} (${oneLine(message)}): re-run the job later, or spread out workflows that share this token.`
  }
  if (status >= 500)
    return `GitHub failed with ${status} while trying to ${context.action} in ${where} after several retries (${oneLine(message)}): re-run the job; check https://www.githubstatus.com.`
  const details = (data.errors ?? []).map(e => e.message ?? [e.field, e.code].filter(Boolean).join(' ')).filter(Boolean)
  return `GitHub answered ${status} while trying to ${context.action} in ${where}: ${oneLine(message)}${details.length ? ` (${details.join('; ')})` : ''}`
}

const RULE_VIOLATION = /rule violations?|GH013|protected ref/i

function missingPermission(message: string, context: ErrorContext): string {
  const permissions = Object.entries(context.permissions ?? { contents: 'write' })
    .map(([scope, level]) => `  ${scope}: ${level}`)
    .join('\n')
  return (
    `GitHub refused to ${context.action} in ${context.owner}/${context.repo}: the workflow token lacks a permission (${message}). ` +
    `Add this to the workflow or job:\npermissions:\n${permissions}\n` +
    'If the repository restricts the default GITHUB_TOKEN to read-only, this block is required.'
  )
}

function ruleViolation(message: string, context: ErrorContext): string {
  return (
    `A repository rule blocked nix-ci from trying to ${context.action} in ${context.owner}/${context.repo}: ${oneLine(message)}. ` +
    'Allow GitHub Actions to bypass the ruleset or branch protection for these refs, or exclude them from the rule.'
  )
}

/** GraphQL refusals carry a `type` (FORBIDDEN, NOT_FOUND, UNPROCESSABLE, ...) and GitHub's message. */
function explainGraphQLError(error: Error & { errors?: { type?: string; message: string }[] }, context: ErrorContext): string {
  const errors = error.errors ?? []
  const message = errors.map(e => e.message).join('; ') || error.message
  if (errors.some(e => e.type === 'FORBIDDEN') || /not accessible by integration/i.test(message)) return missingPermission(message, context)
  if (RULE_VIOLATION.test(message)) return ruleViolation(message, context)
  if (errors.some(e => e.type === 'NOT_FOUND')) {
    return `GitHub answered NOT_FOUND while trying to ${context.action} in ${context.owner}/${context.repo} (${oneLine(message)}): check the repository name and that the token can see it.`
  }
  return `GitHub refused to ${context.action} in ${context.owner}/${context.repo}: ${oneLine(message)}`
}

/** GitHub's message on one line, without its trailing period (the sentence goes on after it). */
/** An error text on one line, without its closing full stop (it goes inside a sentence of ours). */
export function oneLine(text: string): string {
  return text
    .replace(/\s*\n+\s*/g, ' ')
    .trim()
    .replace(/\.+$/, '')
}
