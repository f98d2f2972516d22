// What the flows share: the repository handle, how a GitHub call is attempted (its failure becomes a
// message that says what to do), how a refusal is raised, and how results are built.
import type { Reporter } from '../../report/reporter.js'
import { explainPullRequestError } from './errors.js'
import type { Repo } from './github-git.js'
import {
  DEFAULT_PULL_REQUEST_LABELS,
  type PullRequestOperation,
  type PullRequestStageOptions,
  type PullRequestStageResult
} from './types.js'
import { WorkTreeError } from './work-tree.js'

/** nix-ci will not deliver the fix this way; the message says why and what to do. Not a GitHub failure. */
export class Refusal extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Refusal'
  }
}

/** A GitHub call failed; the message is already explained. */
export class StepFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StepFailure'
  }
}

export interface Session {
  options: PullRequestStageOptions
  gh: Repo
  reporter: Reporter
  labels: string[]
  /** The operation so far, and the PR once known: a failure later still reports them. */
  progress: { operation: PullRequestOperation; number?: number; url?: string; branch?: string; commitSha?: string }
}

export function openSession(options: PullRequestStageOptions): Session {
  return {
    options,
    gh: { octokit: options.octokit, owner: options.context.owner, repo: options.context.repo },
    reporter: options.reporter,
    labels: options.labels ?? DEFAULT_PULL_REQUEST_LABELS,
    progress: { operation: 'none' }
  }
}

/** Runs one GitHub step; a failure becomes a StepFailure saying what to change. */
export async function attempt<T>(
  session: Session,
  action: string,
  fn: () => Promise<T>,
  extra: { branch?: string; base?: string; fork?: boolean } = {}
): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof Refusal || error instanceof StepFailure || error instanceof WorkTreeError) throw error
    const { context } = session.options
    throw new StepFailure(
      explainPullRequestError(error, { action, owner: context.owner, repo: context.repo, serverUrl: context.serverUrl, ...extra })
    )
  }
}

export function done(
  session: Session,
  operation: PullRequestOperation,
  message: string,
  status: 'done' | 'skipped' = 'done'
): PullRequestStageResult {
  session.progress.operation = operation
  return { ok: true, status, ...session.progress, operation, message, failures: [] }
}

export function skipped(session: Session, message: string): PullRequestStageResult {
  return done(session, session.progress.operation, message, 'skipped')
}

export function notDelivered(session: Session, status: 'refused' | 'failed', message: string): PullRequestStageResult {
  // Without a pull request to point at, nothing the user can see was created or updated.
  const operation = session.progress.number !== undefined ? session.progress.operation : 'none'
  return { ok: false, status, ...session.progress, operation, message, failures: [message] }
}
