// Reads the files that go into the cache key: the flake's Nix files, flake.lock, and the lock files
// fixed-output derivations read (mixFodDeps reads mix.lock, buildNpmPackage package-lock.json, ...).
// A change to any of them may change what the build fetches, so it must change the key.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { DigestedFile } from './key.js'

/** Lock files that fixed-output derivations read, by exact name. */
export const FOD_LOCK_FILES = [
  'flake.lock',
  'mix.lock',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'go.sum',
  'go.mod',
  'gradle.lockfile',
  'Gemfile.lock',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'composer.lock',
  'pubspec.lock',
  'deps.edn',
  'packages.lock.json'
]

// Build output and vendored trees: large, never part of a flake's source of truth, and slow to walk.
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '_build', 'deps', 'target', 'dist', '.direnv', '.elixir_ls', 'vendor', '.test-world'])
// Bounds for a monorepo: a key file deeper or later than this is not worth a slow start.
const MAX_DEPTH = 8
const MAX_FILES = 5000
const MAX_ENTRIES_VISITED = 200_000

/** The local directory of a flake reference, or undefined for a remote one (`github:`, `https:`, ...). */
export function localFlakeDir(flake: string, cwd: string): string | undefined {
  const ref = flake.replace(/[?#].*$/, '')
  const local = /^(?:path:|git\+file:(?:\/\/)?)(.*)$/.exec(ref)
  if (local) return resolve(cwd, local[1] === '' ? '.' : local[1])
  if (ref === '.' || ref.startsWith('./') || ref.startsWith('../') || isAbsolute(ref)) return resolve(cwd, ref)
  return undefined
}

export function isKeyFile(name: string): boolean {
  return name.endsWith('.nix') || FOD_LOCK_FILES.includes(name)
}

/** Every key file under dir (sorted by path), each with the sha256 of its content. */
export async function digestFlakeFiles(dir: string): Promise<DigestedFile[]> {
  const found: string[] = []
  await walk(dir, 0, found, { visited: 0 })
  found.sort()
  const files: DigestedFile[] = []
  for (const path of found) files.push({ path: relative(dir, path).split(sep).join('/'), sha256: await sha256File(path) })
  return files
}

async function walk(dir: string, depth: number, found: string[], count: { visited: number }): Promise<void> {
  if (depth > MAX_DEPTH || found.length >= MAX_FILES || count.visited >= MAX_ENTRIES_VISITED) return
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const entry of entries) {
    if (found.length >= MAX_FILES || ++count.visited > MAX_ENTRIES_VISITED) return
    const path = join(dir, entry.name)
    // Symlinks are not followed: `result` links point into the store and would make the key depend on a build.
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('result')) await walk(path, depth + 1, found, count)
    else if (entry.isFile() && isKeyFile(entry.name)) found.push(path)
  }
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256')
    createReadStream(path)
      .on('data', chunk => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')))
  })
}
