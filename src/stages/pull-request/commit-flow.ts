// `fix-hashes: commit`: the fix goes onto the pull request that was built. On a branch of this
// repository (Dependabot, Renovate, a colleague) nix-ci adds one commit whose parent is the built
// head and moves the branch only forward, so a push made meanwhile is never lost. A fork cannot be
// pushed to: the fix is offered as review suggestions the contributor applies with one click.
import { errorMessage } from '../../errors.js'
import { sameRepository } from '../../github/context.js'
import { treeFilesOver } from './base-files.js'
import { commitComment, commitMessage, COMMIT_MARKER, diffComment, FIX_MARKER, suggestionBody, suggestionReviewBody } from './content.js'
import { createCommit, createTree, moveBranchForward, readBranch, readCommit, type Repo } from './github-git.js'
import { createSuggestionReview, diffLines, getPull, listReviewComments, upsertComment } from './github-pulls.js'
import { fixFingerprint, isNixCiCommit, madeWithDefaultToken, withTrailers } from './ownership.js'
import { attempt, done, notDelivered, Refusal, skipped, type Session } from './session.js'
import type { PullRequestStageResult } from './types.js'
import { lineText, readFixedFiles, type FixedFile } from './work-tree.js'

export async function runCommitFlow(session: Session): Promise<PullRequestStageResult> {
  const { context, hashes } = session.options
  const pr = context.pullRequest
  if (!pr) {
    throw new Refusal(
      `fix-hashes: commit pushes the fix onto the pull request being built, and this run is for a '${context.eventName}' event with no pull request. ` +
        "On pushes use 'fix-hashes: pull-request'."
    )
  }
  session.progress.number = pr.number
  session.progress.branch = pr.headRef
  if (hashes.fixes.length === 0)
    return skipped(
      session,
      hashes.status === 'clean' ? 'No stale hash: nothing to commit.' : 'No verified fix to commit (see the annotations).'
    )
  if (hashes.writtenFiles.length === 0)
    return skipped(session, 'The verified fixes were not written to the work tree (fix-hashes: report): nothing to commit.')
  const files = await readFixedFiles(session.options.repoDir, hashes)
  const { gh } = session
  const current = await attempt(session, `read pull request #${pr.number}`, () => getPull(gh, pr.number))
  session.progress.url = current.url
  if (current.state !== 'open') return skipped(session, `Pull request #${pr.number} is ${current.state}: nothing pushed.`)
  if (current.headRepo === undefined) {
    throw new Refusal(
      `Pull request #${pr.number} comes from a repository GitHub no longer knows (a deleted fork), so nix-ci pushed nothing: it pushes only onto ` +
        `branches of ${context.owner}/${context.repo} itself, and there is no fork left to suggest a change to. The verified fix is in the annotations; ` +
        'apply it in a pull request of your own.'
    )
  }
  // Fails closed: only a head repository that is this very repository (by id, as GitHub says now) is pushed to.
  const ownBranch = !pr.isFork && sameRepository(current.headRepoId, current.baseRepoId)
  return ownBranch ? commitOntoBranch(session, files, current.headSha) : suggestOnFork(session, files, current.headRepo)
}

async function commitOntoBranch(session: Session, files: FixedFile[], liveHead: string): Promise<PullRequestStageResult> {
  const { gh, options } = session
  const { hashes } = options
  const pr = options.context.pullRequest as NonNullable<typeof options.context.pullRequest>
  const parent = await attempt(session, `read the built commit ${pr.headSha.slice(0, 12)}`, () => readCommit(gh, pr.headSha))
  const treeFiles = await attempt(session, 'read the files to fix', () => treeFilesOver(gh, parent, files))
  const tree = await attempt(session, 'upload the fixed files', () => createTree(gh, parent.tree, treeFiles))

  if (liveHead !== pr.headSha) {
    const head = await attempt(session, `read the head of ${pr.headRef}`, () => readCommit(gh, liveHead))
    // A rerun of this run after nix-ci's own push: the fix is already there.
    if (isNixCiCommit(head) && head.parents[0] === pr.headSha && head.tree === tree) {
      session.progress.commitSha = head.sha
      return done(session, 'none', `${pr.headRef} already holds this fix (${head.sha.slice(0, 12)}): nothing pushed.`)
    }
    return movedOn(session, liveHead)
  }

  const dependabotSkip = /^dependabot(\[bot\])?$/i.test(pr.author)
  const message = withTrailers(commitMessage(hashes.fixes, hashes, { dependabotSkip }), fixFingerprint(hashes.fixes), tree)
  const commit = await attempt(session, 'create the fix commit', () => createCommit(gh, message, tree, pr.headSha))
  const moved = await attempt(session, `push the fix onto ${pr.headRef}`, () => moveBranchForward(gh, pr.headRef, commit.sha), {
    branch: pr.headRef
  })
  if (moved === 'not-fast-forward') {
    const now = await attempt(session, `read the branch ${pr.headRef}`, () => readBranch(gh, pr.headRef))
    return movedOn(session, now ?? 'a deleted branch')
  }
  session.progress.commitSha = commit.sha
  session.progress.operation = 'updated'
  session.reporter.info(`Pushed ${commit.sha.slice(0, 12)} onto ${pr.headRef} (pull request #${pr.number})`)
  const defaultToken = options.defaultToken ?? madeWithDefaultToken(commit)
  try {
    await attempt(session, `comment on pull request #${pr.number}`, () =>
      upsertComment(
        gh,
        pr.number,
        COMMIT_MARKER,
        commitComment({ commitSha: commit.sha, fixes: hashes.fixes, author: pr.author, defaultToken, dependabotSkip })
      )
    )
  } catch (error) {
    // The fix is pushed; a missing explanation is worth a warning, not a failure.
    session.reporter.warning(errorMessage(error))
  }
  return done(session, 'updated', `Pushed the verified fix ${commit.sha.slice(0, 12)} onto ${pr.headRef} (pull request #${pr.number}).`)
}

function movedOn(session: Session, head: string): PullRequestStageResult {
  const pr = session.options.context.pullRequest as NonNullable<typeof session.options.context.pullRequest>
  return notDelivered(
    session,
    'refused',
    `${pr.headRef} moved from ${pr.headSha.slice(0, 12)} (the commit this run built) to ${head.slice(0, 12)} meanwhile, so nix-ci pushed nothing: ` +
      'a fix verified on an older commit must not land on newer work. The run for the new head checks the hashes again.'
  )
}

/** A fork: review suggestions on lines the diff shows, one diff comment for the rest; nothing twice. */
async function suggestOnFork(session: Session, files: FixedFile[], headRepo: string): Promise<PullRequestStageResult> {
  const { gh, options } = session
  const pr = { ...(options.context.pullRequest as NonNullable<typeof options.context.pullRequest>), headRepo }
  const [forkOwner, forkName] = headRepo.split('/')
  const fork: Repo = { octokit: gh.octokit, owner: forkOwner, repo: forkName }
  const fromFork = { fork: true }
  const head = await attempt(
    session,
    `read the built commit ${pr.headSha.slice(0, 12)} in ${pr.headRepo}`,
    () => readCommit(fork, pr.headSha),
    fromFork
  )
  await attempt(session, 'read the files to fix', () => treeFilesOver(fork, head, files), fromFork)
  const [shown, earlier] = await Promise.all([
    attempt(session, `list the files of pull request #${pr.number}`, () => diffLines(gh, pr.number), fromFork),
    attempt(session, `list the review comments of pull request #${pr.number}`, () => listReviewComments(gh, pr.number), fromFork)
  ])
  const { suggestions, elsewhere } = placeFixes(files, shown, earlier)
  let posted = false
  if (suggestions.length > 0) {
    await attempt(
      session,
      `post suggestions on pull request #${pr.number}`,
      () =>
        createSuggestionReview(gh, pr.number, {
          commitId: pr.headSha,
          body: suggestionReviewBody(suggestions.length),
          comments: suggestions
        }),
      fromFork
    )
    posted = true
  }
  if (elsewhere.length > 0) {
    const outcome = await attempt(
      session,
      `comment on pull request #${pr.number}`,
      () => upsertComment(gh, pr.number, FIX_MARKER, diffComment(elsewhere)),
      fromFork
    )
    posted ||= outcome !== 'unchanged'
  }
  const message = posted
    ? `Pull request #${pr.number} comes from the fork ${pr.headRepo}, which nix-ci cannot push to: posted the verified fix as ${suggestions.length} suggestion(s)` +
      `${elsewhere.length ? ` and a diff comment for ${elsewhere.length} line(s) outside the diff` : ''}.`
    : `Pull request #${pr.number} already has nix-ci's suggestions for this fix: nothing posted.`
  return done(session, posted ? 'updated' : 'none', message)
}

type Suggestion = { path: string; line: number; body: string }

/** Each fixed line as a suggestion where the diff shows it (unless posted before), else for the diff comment. */
function placeFixes(
  files: FixedFile[],
  shown: Awaited<ReturnType<typeof diffLines>>,
  earlier: Awaited<ReturnType<typeof listReviewComments>>
): { suggestions: Suggestion[]; elsewhere: Parameters<typeof diffComment>[0] } {
  const suggestions: Suggestion[] = []
  const elsewhere: Parameters<typeof diffComment>[0] = []
  for (const file of files) {
    for (const fix of file.fixes) {
      const newLine = lineText(file.content, fix.line) ?? ''
      const oldLine = lineText(file.before, fix.line) ?? ''
      const inDiff = (shown.get(file.path) ?? []).some(([from, to]) => fix.line >= from && fix.line <= to)
      if (!inDiff) {
        elsewhere.push({ fix, path: file.path, oldLine, newLine })
        continue
      }
      const body = suggestionBody(fix, newLine)
      if (earlier.some(c => c.path === file.path && c.line === fix.line && c.body === body)) continue
      suggestions.push({ path: file.path, line: fix.line, body })
    }
  }
  return { suggestions, elsewhere }
}
