// The files a stale hash may be written in: git-tracked, regular, text, at most 1 MiB. Untracked
// files are not part of the flake, and a hash in a binary or huge generated file is not ours to edit.
import { execFileSync } from 'node:child_process'
import { lstatSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { childEnv } from '../process-env.js'

export const MAX_TEXT_FILE_BYTES = 1 << 20

export interface RepoTextFile {
  /** Path relative to the repository root, with `/` separators, as git prints it. */
  path: string
  /** The file's bytes as latin1: one character per byte, so offsets are byte offsets. */
  text: string
}

export interface RepoTextFiles {
  repoDir: string
  files: RepoTextFile[]
  /** Tracked files left out (binary, larger than 1 MiB, symlinks, submodules, missing). */
  skipped: number
}

export function readTrackedTextFiles(repoDir: string): RepoTextFiles {
  let listing: string
  try {
    listing = execFileSync('git', ['-C', repoDir, 'ls-files', '-z', '--cached'], {
      encoding: 'utf8',
      env: childEnv(),
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe']
    })
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || String(err)
    throw new Error(`Cannot list the files of the git repository at ${repoDir} (${detail}). Run nix-ci inside a git checkout.`)
  }
  const files: RepoTextFile[] = []
  let skipped = 0
  for (const path of new Set(listing.split('\0').filter(p => p !== ''))) {
    const full = join(repoDir, path)
    let size: number
    try {
      const stat = lstatSync(full)
      if (!stat.isFile()) {
        skipped++
        continue
      }
      size = stat.size
    } catch {
      skipped++ // deleted in the work tree
      continue
    }
    if (size > MAX_TEXT_FILE_BYTES) {
      skipped++
      continue
    }
    const bytes = readFileSync(full)
    if (isBinary(bytes)) {
      skipped++
      continue
    }
    files.push({ path, text: bytes.toString('latin1') })
  }
  return { repoDir, files, skipped }
}

/** git's own test: a NUL byte in the first 8000 bytes. */
export function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0)
}
