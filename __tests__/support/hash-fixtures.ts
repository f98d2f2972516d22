// Small git repositories with exactly the bytes and modes a hash test needs (CRLF, no final newline,
// executable bits, binary files, untracked files), built on the fixture toolkit's `git`.
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { git } from './fixtures.js'

export interface RepoFileSpec {
  content: string | Buffer
  mode?: number
  /** Leave the file out of git (it must then be ignored by locate). */
  untracked?: boolean
}

export interface TestRepo {
  dir: string
  git(...args: string[]): string
  cleanup(): void
}

export function createRepo(files: Record<string, string | Buffer | RepoFileSpec>): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-hashes-'))
  git(dir, 'init', '-q', '-b', 'main')
  // Bytes as written: no CRLF conversion by git in either direction.
  git(dir, 'config', 'core.autocrlf', 'false')
  for (const [path, spec] of Object.entries(files)) {
    const s: RepoFileSpec = typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec } : spec
    const full = join(dir, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, s.content)
    if (s.mode !== undefined) chmodSync(full, s.mode)
    if (!s.untracked) git(dir, 'add', '--', path)
  }
  git(dir, 'commit', '-q', '-m', 'fixture', '--allow-empty')
  return { dir, git: (...args) => git(dir, ...args), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A sha256 digest derived from a label, so each test has its own stale and real hashes. */
export function digest(label: string): Buffer {
  return createHash('sha256').update(label).digest()
}

export function sri(d: Buffer): string {
  return `sha256-${d.toString('base64')}`
}

/** A plausible .drv path for a derivation name. */
export function drvPath(name: string): string {
  return `/nix/store/${'0123456789abcdfghijklmnpqrsvwxyz'.repeat(2).slice(0, 32)}-${name}.drv`
}
