// The checkout must hold, before the fix, exactly the files of the commit the fix goes on top of:
// otherwise the committed file would carry changes nobody verified (a merge-ref checkout, a
// different commit, an edit by a build step). Git blob ids make this a comparison of hashes, and
// the commit keeps each file's mode from that commit's tree.
import { entryAt, type CommitInfo, type Repo, type TreeFile } from './github-git.js'
import { Refusal } from './session.js'
import type { FixedFile } from './work-tree.js'
import { quotedPath } from '../../report/quoted-path.js'

export async function treeFilesOver(gh: Repo, commit: CommitInfo, files: FixedFile[]): Promise<TreeFile[]> {
  const out: TreeFile[] = []
  for (const file of files) {
    const entry = await entryAt(gh, commit.tree, file.path)
    const at = `${gh.owner}/${gh.repo}@${commit.sha.slice(0, 12)}`
    if (!entry || entry.type !== 'blob') {
      throw new Refusal(
        `${quotedPath(file.path)} is not a file in ${at}, the commit the fix would go on: check out that commit (actions/checkout does by default) and re-run.`
      )
    }
    if (entry.mode !== '100644' && entry.mode !== '100755') {
      throw new Refusal(
        `${quotedPath(file.path)} is not a regular file in ${at} (mode ${entry.mode}): nix-ci only commits fixes to regular files; apply this one by hand.`
      )
    }
    if (entry.sha !== file.headBlobSha) {
      throw new Refusal(
        `${quotedPath(file.path)} in the checkout (blob ${file.headBlobSha.slice(0, 12)}) is not the file in ${at} (blob ${entry.sha.slice(0, 12)}), so the fix was ` +
          'verified on other content than it would be committed onto. Check out exactly that commit (for pull requests: ' +
          '`ref: ${{ github.event.pull_request.head.sha }}` or `head.ref` in actions/checkout, not the merge commit) and re-run.'
      )
    }
    out.push({ path: file.path, mode: entry.mode, content: file.content })
  }
  return out
}
