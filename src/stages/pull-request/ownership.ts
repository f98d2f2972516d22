// How nix-ci recognises its own commit on a branch, so it never rewrites anyone else's work. A fix
// commit carries two trailers: `Nix-CI-Fix: <fingerprint of the fixes>` and `Nix-CI-Tree: <sha of
// the tree it was made with>`. A commit counts as nix-ci's only if it has one parent, both
// trailers, and its tree is still the one named in the trailer: a person who amends the commit,
// cherry-picks it onto other work or pushes on top of it always fails one of these. Author names
// are not trusted: anyone can set them, and the token's identity changes with the token.
import { createHash } from 'node:crypto'
import type { HashFix } from '../fix-hashes/types.js'
import type { CommitInfo } from './github-git.js'

export const FIX_TRAILER = 'Nix-CI-Fix'
export const TREE_TRAILER = 'Nix-CI-Tree'

/** Stable across reruns for the same fixes: file, old and new hash of each. */
export function fixFingerprint(fixes: HashFix[]): string {
  const parts = fixes.map(f => `${f.file}\0${f.old}\0${f.new}`).sort()
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}

/** The message with nix-ci's trailers as its last paragraph (where git expects trailers). */
export function withTrailers(message: string, fingerprint: string, tree: string): string {
  return `${message.trimEnd()}\n\n${FIX_TRAILER}: ${fingerprint}\n${TREE_TRAILER}: ${tree}\n`
}

export function trailer(message: string, name: string): string | undefined {
  const paragraphs = message.trimEnd().split(/\n\s*\n/)
  const last = paragraphs[paragraphs.length - 1] ?? ''
  const match = new RegExp(`^${name}: *(\\S+) *$`, 'm').exec(last)
  return match?.[1]
}

export function isNixCiCommit(commit: CommitInfo): boolean {
  return (
    commit.parents.length === 1 &&
    trailer(commit.message, FIX_TRAILER) !== undefined &&
    trailer(commit.message, TREE_TRAILER) === commit.tree
  )
}

/** The identity GitHub gives API commits made with the workflow's default GITHUB_TOKEN. */
export function madeWithDefaultToken(commit: Pick<CommitInfo, 'author'>): boolean {
  return (
    commit.author.name === 'github-actions[bot]' ||
    /^41898282\+github-actions\[bot\]@users\.noreply\.github\.com$/i.test(commit.author.email)
  )
}
