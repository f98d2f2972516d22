// The files a stale hash may be written in: git-tracked, regular, text, at most 1 MiB. Untracked
// files are not part of the flake, and a hash in a binary or huge generated file is not ours to edit.
import { lstatSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { lsFiles } from '../git/git.js'

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

/** The files git tracks in repoDir, relative to it; throws when repoDir is not in a git checkout. */
export async function trackedFiles(repoDir: string): Promise<string[]> {
  return lsFiles(repoDir, { hint: 'Run nix-ci inside a git checkout.' })
}

/** The tracked text files with their bytes as they are now. */
export async function readTrackedTextFiles(repoDir: string): Promise<RepoTextFiles> {
  return readTextFiles(repoDir, await trackedFiles(repoDir))
}

/**
 * For planning code that cannot wait for git: git lists the tracked files once, now, and each call
 * reads their bytes as they are then (a fix written or taken back in between moves bytes). When the
 * listing failed, each call throws its error, as reading the files then would have.
 */
export async function trackedTextFilesReader(repoDir: string): Promise<() => RepoTextFiles> {
  let paths: string[]
  try {
    paths = await trackedFiles(repoDir)
  } catch (error) {
    return () => {
      throw error
    }
  }
  return () => readTextFiles(repoDir, paths)
}

/** Reads `paths` (from trackedFiles) again, keeping the text files: their bytes change as fixes are written. */
export function readTextFiles(repoDir: string, paths: string[]): RepoTextFiles {
  const files: RepoTextFile[] = []
  let skipped = 0
  for (const path of paths) {
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
