// The verified fix as it sits in the checkout: each written file's exact bytes, its path from the
// repository root (what GitHub's trees use), and the blob it replaces. Before anything is sent to
// GitHub, every written file must differ from the checked-out commit only on the lines of verified
// fixes: nix-ci commits what it verified and nothing a build step or a person left in the work tree.
import { errorMessage } from '../../errors.js'
import { readFileSync, realpathSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { catBlob, GitError, revParse, topLevel, type GitOptions } from '../../git/git.js'
import type { FixHashesResult, HashFix } from '../fix-hashes/types.js'
import { quotedPath } from '../../report/quoted-path.js'

export class WorkTreeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkTreeError'
  }
}

export interface FixedFile {
  /** As fix-hashes names it (relative to repoDir), for messages. */
  file: string
  /** From the repository root, `/`-separated. */
  path: string
  /** The verified bytes in the work tree. */
  content: Buffer
  /** The file's blob in the checked-out commit: the base the fix was verified on. */
  headBlobSha: string
  /** That blob's bytes. */
  before: Buffer
  fixes: HashFix[]
}

const HINT: GitOptions = { hint: 'nix-ci needs the git checkout fix-hashes worked in.' }

/** A git failure here is a refusal of the stage (WorkTreeError), with git's message. */
async function inCheckout<T>(step: Promise<T>): Promise<T> {
  try {
    return await step
  } catch (error) {
    throw error instanceof GitError ? new WorkTreeError(error.message) : error
  }
}

/** repoDir's path inside its repository ('' at the root, else `sub/dir/`). */
async function prefixOf(repoDir: string): Promise<{ root: string; prefix: string }> {
  const root = await inCheckout(topLevel(repoDir, HINT))
  const rel = relative(realpathSync(root), realpathSync(repoDir)).split(sep).join('/')
  return { root, prefix: rel === '' ? '' : `${rel}/` }
}

/** Lines of a file, split on \n only, so a CRLF file keeps its \r in each line. */
export function linesOf(bytes: Buffer): string[] {
  return bytes.toString('latin1').split('\n')
}

/** Line `line` (1-based) as UTF-8 text, without its line ending. */
export function lineText(bytes: Buffer, line: number): string | undefined {
  const text = linesOf(bytes)[line - 1]
  return text === undefined ? undefined : Buffer.from(text.replace(/\r$/, ''), 'latin1').toString('utf8')
}

export async function readFixedFiles(repoDir: string, hashes: FixHashesResult): Promise<FixedFile[]> {
  const { root, prefix } = await prefixOf(repoDir)
  const files: FixedFile[] = []
  for (const file of hashes.writtenFiles) {
    const path = prefix + file.split(sep).join('/')
    const fixes = hashes.fixes.filter(f => f.file === file)
    let content: Buffer
    try {
      content = readFileSync(join(repoDir, file))
    } catch (error) {
      throw new WorkTreeError(
        `Cannot read ${quotedPath(file)}, which fix-hashes wrote (${errorMessage(error)}): did a later step remove it?`
      )
    }
    const headBlobSha = await inCheckout(revParse(root, `HEAD:${path}`, HINT))
    const before = await inCheckout(catBlob(root, headBlobSha, HINT))
    checkOnlyFixLines(file, before, content, fixes)
    files.push({ file, path, content, headBlobSha, before, fixes })
  }
  return files
}

function checkOnlyFixLines(file: string, before: Buffer, after: Buffer, fixes: HashFix[]): void {
  const old = linesOf(before)
  const now = linesOf(after)
  const fixLines = new Map(fixes.map(f => [f.line, f]))
  const stray: number[] = []
  for (let i = 0; i < Math.max(old.length, now.length); i++) {
    if (old[i] === now[i]) continue
    const fix = fixLines.get(i + 1)
    const expected = fix && old[i] !== undefined && now[i] !== undefined && now[i].includes(Buffer.from(fix.new, 'utf8').toString('latin1'))
    if (!expected) stray.push(i + 1)
  }
  if (stray.length > 0) {
    const shown = stray.slice(0, 5).join(', ') + (stray.length > 5 ? ` and ${stray.length - 5} more` : '')
    throw new WorkTreeError(
      `${quotedPath(file)} differs from the checked-out commit on line(s) ${shown}, which are not verified hash fixes. ` +
        'nix-ci commits only what it verified: make sure no step between checkout and nix-ci edits this file, then re-run.'
    )
  }
  if (before.equals(after))
    throw new WorkTreeError(`${quotedPath(file)} is listed as written by fix-hashes but equals the checked-out commit: nothing to commit.`)
}
