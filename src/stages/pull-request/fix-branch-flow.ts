// `fix-hashes: pull-request`: one branch `nix-ci/fix-hashes/<base>` holding ONE nix-ci commit on
// top of the commit that was built, and one pull request from it. Reruns and concurrent runs
// converge on that single branch and PR; a newer base rebuilds the branch; a commit by anyone else
// stops nix-ci from touching the branch; once the base needs no fix, the PR is closed.
import { errorMessage } from '../../errors.js'
import type { RunContext } from '../../github/context.js'
import { treeFilesOver } from './base-files.js'
import {
  closedComment,
  commitMessage,
  fixTitle,
  othersCommitsComment,
  othersCommitsKeptOpenComment,
  pullRequestBody,
  CLOSED_MARKER,
  HUMAN_COMMITS_MARKER
} from './content.js'
import {
  compareCommits,
  createBranch,
  createCommit,
  createTree,
  deleteBranch,
  readBranch,
  readCommit,
  replaceBranch,
  type CommitInfo
} from './github-git.js'
import { addMissingLabels, createPull, findOpenPull, updatePull, upsertComment, type PullInfo } from './github-pulls.js'
import { fixFingerprint, isNixCiCommit, madeWithDefaultToken, withTrailers } from './ownership.js'
import { attempt, done, notDelivered, Refusal, skipped, StepFailure, type Session } from './session.js'
import type { PullRequestStageResult } from './types.js'
import { readFixedFiles } from './work-tree.js'

export const FIX_BRANCH_PREFIX = 'nix-ci/fix-hashes/'

/** The branch the fix PR targets: the pushed branch, else the default branch (schedule, dispatch). */
export function baseBranchOf(context: RunContext): string | undefined {
  if (context.ref.startsWith('refs/heads/')) return context.ref.slice('refs/heads/'.length)
  return context.defaultBranch
}

export async function runFixBranchFlow(session: Session): Promise<PullRequestStageResult> {
  const { context, hashes } = session.options
  const base = fixBase(context)
  const branch = FIX_BRANCH_PREFIX + base
  session.progress.branch = branch
  if (hashes.status === 'clean') {
    if (!session.options.buildOk)
      return skipped(session, 'The build failed, so finding no stale hash proves nothing: the fix pull request (if any) is left as it is.')
    return closeStaleFix(session, base, branch)
  }
  if (hashes.fixes.length === 0)
    return skipped(
      session,
      `No verified fix to propose: ${hashes.problems.length} stale hash problem(s) need a person (see the annotations).`
    )
  if (hashes.writtenFiles.length === 0)
    return skipped(session, 'The verified fixes were not written to the work tree (fix-hashes: report): nothing to commit.')

  const files = await readFixedFiles(session.options.repoDir, hashes)
  const baseSha = context.sha
  const { gh } = session
  const baseCommit = await attempt(session, `read the built commit ${baseSha.slice(0, 12)}`, () => readCommit(gh, baseSha))
  const treeFiles = await attempt(session, 'read the files to fix', () => treeFilesOver(gh, baseCommit, files))
  const tree = await attempt(session, 'upload the fixed files', () => createTree(gh, baseCommit.tree, treeFiles))
  if (tree === baseCommit.tree) return skipped(session, `${base} already has these hashes at ${baseSha.slice(0, 12)}: nothing to propose.`)
  const message = withTrailers(commitMessage(hashes.fixes, hashes), fixFingerprint(hashes.fixes), tree)

  const placed = await placeFixCommit(session, branch, baseSha, tree, message)
  if (placed.kind === 'others') return stopForOthersCommits(session, branch, base, placed.head)
  if (placed.kind === 'newer') {
    const pull = await attempt(session, 'find the fix pull request', () => findOpenPull(gh, branch, base))
    remember(session, pull)
    return done(
      session,
      'none',
      `${branch} already holds a fix built on ${placed.parent.slice(0, 12)}, newer than this run's ${baseSha.slice(0, 12)}: left as it is.`
    )
  }
  session.progress.commitSha = placed.commit.sha
  if (placed.changed) session.progress.operation = 'updated'
  session.reporter.info(
    placed.changed
      ? `Pushed ${placed.commit.sha.slice(0, 12)} to ${branch} (on ${baseSha.slice(0, 12)})`
      : `${branch} already holds this fix: no new commit`
  )
  return openOrUpdatePull(session, { base, branch, baseSha, commit: placed.commit })
}

/** The branch to propose the fix to; refused on pull requests and on nix-ci's own fix branches. */
function fixBase(context: RunContext): string {
  if (context.pullRequest) {
    throw new Refusal(
      `fix-hashes: pull-request opens a fix pull request against a branch that was pushed, and this run is for pull request #${context.pullRequest.number}. ` +
        "On pull requests use 'fix-hashes: commit' (pushes the fix onto a same-repository pull request) or 'fix-hashes: report'."
    )
  }
  const base = baseBranchOf(context)
  if (!base || base.startsWith(FIX_BRANCH_PREFIX)) {
    throw new Refusal(
      `fix-hashes: pull-request needs a branch to propose the fix to, and this run is for '${context.ref}'. Run it on pushes to a branch (e.g. main).`
    )
  }
  return base
}

/** The one fix PR from the branch: found or opened, its title and body brought up to date, labelled. */
async function openOrUpdatePull(
  session: Session,
  fix: { base: string; branch: string; baseSha: string; commit: CommitInfo }
): Promise<PullRequestStageResult> {
  const { hashes } = session.options
  const { gh } = session
  const { base, branch, baseSha } = fix
  const defaultToken = session.options.defaultToken ?? madeWithDefaultToken(fix.commit)
  const title = fixTitle(hashes.fixes)
  const body = pullRequestBody({ fixes: hashes.fixes, hashes, base, baseSha, branch, defaultToken }, contentContext(session))
  let pull = await attempt(session, 'find the fix pull request', () => findOpenPull(gh, branch, base))
  if (!pull) {
    const made = await attempt(session, `open the fix pull request from ${branch}`, () => createPull(gh, { branch, base, title, body }), {
      branch,
      base
    })
    pull = made.pull
    remember(session, pull)
    if (made.created) session.progress.operation = 'created'
  }
  remember(session, pull)
  if (pull.title !== title || pull.body !== body) {
    const number = pull.number
    pull = await attempt(session, `update pull request #${number}`, () => updatePull(gh, number, { title, body }))
    if (session.progress.operation === 'none') session.progress.operation = 'updated'
  }
  // Labels go on when nix-ci changes something, so a label someone removed is not forced back by idle reruns.
  if (session.progress.operation !== 'none') await labelPull(session, pull)
  const verb = { created: 'Opened', updated: 'Updated', closed: 'Closed', none: 'Unchanged:' }[session.progress.operation]
  return done(session, session.progress.operation, `${verb} pull request #${pull.number} (${pull.url}) with the verified fix.`)
}

type Placement =
  { kind: 'placed'; commit: CommitInfo; changed: boolean } | { kind: 'others'; head: string } | { kind: 'newer'; parent: string }

/**
 * Puts the fix commit on the branch: creates the branch, keeps it when it already holds this exact
 * fix on this base, or rebuilds it on this base. A race with another run or a person (the ref
 * appeared or moved between our read and our write) makes the write fail, by GitHub's
 * compare-and-swap; it is settled by reading again, a bounded number of times.
 */
async function placeFixCommit(session: Session, branch: string, baseSha: string, tree: string, message: string): Promise<Placement> {
  const { gh } = session
  for (let round = 0; round < 4; round++) {
    const head = await attempt(session, `read the branch ${branch}`, () => readBranch(gh, branch))
    if (head === undefined) {
      const commit = await attempt(session, 'create the fix commit', () => createCommit(gh, message, tree, baseSha))
      const created = await attempt(session, `create the branch ${branch}`, () => createBranch(gh, branch, commit.sha), { branch })
      if (created === 'created') return { kind: 'placed', commit, changed: true }
      continue // another run created it first: judge what it holds
    }
    const current = await attempt(session, `read the head of ${branch}`, () => readCommit(gh, head))
    if (!isNixCiCommit(current)) return { kind: 'others', head }
    const parent = current.parents[0]
    if (parent === baseSha && current.tree === tree) return { kind: 'placed', commit: current, changed: false }
    if (parent !== baseSha) {
      // A concurrent or later run may have built the branch on a newer base: never move it back.
      const relation = await attempt(session, 'compare the fix branch with the built commit', () => compareCommits(gh, baseSha, parent))
      if (relation === 'ahead') return { kind: 'newer', parent }
    }
    const commit = await attempt(session, 'create the fix commit', () => createCommit(gh, message, tree, baseSha))
    // Only if the branch still holds the commit judged above: a push made since is never overwritten.
    const moved = await attempt(session, `update the branch ${branch}`, () => replaceBranch(gh, branch, head, commit.sha), { branch })
    if (moved === 'stale') continue // judge what it holds now
    return { kind: 'placed', commit, changed: true }
  }
  throw new StepFailure(
    `The branch ${branch} kept changing while nix-ci updated it (another run or a person pushing to it): re-run the job.`
  )
}

async function stopForOthersCommits(session: Session, branch: string, base: string, head: string): Promise<PullRequestStageResult> {
  const { gh, options } = session
  const pull = await attempt(session, 'find the fix pull request', () => findOpenPull(gh, branch, base))
  remember(session, pull)
  const message =
    `${branch} holds commit ${head.slice(0, 12)}, which nix-ci did not make, so nix-ci did not touch the branch and nothing was overwritten. ` +
    `Delete the branch to let nix-ci rebuild it, or apply the fix yourself (see the annotations).`
  if (pull) {
    const number = pull.number
    await attempt(session, `comment on pull request #${number}`, () =>
      upsertComment(gh, number, HUMAN_COMMITS_MARKER, othersCommitsComment(branch, head, options.hashes.fixes))
    )
  }
  return notDelivered(session, 'refused', pull ? `${message} Said so on pull request #${pull.number}.` : message)
}

/** Every hash is right on the base: the fix PR is stale. Closed, and its branch deleted if only nix-ci wrote to it. */
async function closeStaleFix(session: Session, base: string, branch: string): Promise<PullRequestStageResult> {
  const { gh, options } = session
  const baseSha = options.context.sha
  const [head, pull] = await Promise.all([
    attempt(session, `read the branch ${branch}`, () => readBranch(gh, branch)),
    attempt(session, 'find the fix pull request', () => findOpenPull(gh, branch, base))
  ])
  remember(session, pull)
  if (head === undefined && !pull) return skipped(session, 'No stale hash, and no fix pull request to close.')
  let ours = false
  if (head !== undefined) {
    const current = await attempt(session, `read the head of ${branch}`, () => readCommit(gh, head))
    ours = isNixCiCommit(current)
    if (ours && current.parents[0] !== baseSha) {
      const relation = await attempt(session, 'compare the fix branch with the built commit', () =>
        compareCommits(gh, baseSha, current.parents[0])
      )
      if (relation === 'ahead')
        return skipped(
          session,
          `${branch} holds a fix for ${current.parents[0].slice(0, 12)}, newer than this run's ${baseSha.slice(0, 12)}: left open.`
        )
    }
    if (!ours) {
      if (pull) {
        const number = pull.number
        await attempt(session, `comment on pull request #${number}`, () =>
          upsertComment(gh, number, CLOSED_MARKER, othersCommitsKeptOpenComment(base, baseSha, branch))
        )
      }
      return skipped(session, `No stale hash on ${base}; ${branch} holds commits nix-ci did not make, so it is left to its authors.`)
    }
  }
  if (pull) {
    const number = pull.number
    await attempt(session, `comment on pull request #${number}`, () =>
      upsertComment(gh, number, CLOSED_MARKER, closedComment(base, baseSha, ours))
    )
    await attempt(session, `close pull request #${number}`, () => updatePull(gh, number, { state: 'closed' }))
    session.progress.operation = 'closed'
  }
  if (ours) {
    try {
      await attempt(session, `delete the branch ${branch}`, () => deleteBranch(gh, branch), { branch })
    } catch (error) {
      session.reporter.warning(`${errorMessage(error)} The fix pull request is closed; delete ${branch} by hand.`)
    }
  }
  return done(
    session,
    session.progress.operation,
    pull
      ? `No stale hash on ${base}: closed pull request #${pull.number}${ours ? ` and deleted ${branch}` : ''}.`
      : `No stale hash on ${base}: deleted the leftover branch ${branch}.`
  )
}

async function labelPull(session: Session, pull: PullInfo): Promise<void> {
  if (session.labels.length === 0) return
  try {
    const added = await attempt(session, `label pull request #${pull.number}`, () => addMissingLabels(session.gh, pull, session.labels))
    if (added.length > 0) session.reporter.info(`Labelled #${pull.number}: ${added.join(', ')}`)
  } catch (error) {
    // A missing label is not worth failing the fix over.
    session.reporter.warning(errorMessage(error))
  }
}

function remember(session: Session, pull: PullInfo | undefined): void {
  if (!pull) return
  session.progress.number = pull.number
  session.progress.url = pull.url
}

export function contentContext(session: Session) {
  const { options } = session
  return {
    owner: options.context.owner,
    repo: options.context.repo,
    serverUrl: options.context.serverUrl,
    flake: options.flake,
    package: options.package,
    systems: options.systems
  }
}
