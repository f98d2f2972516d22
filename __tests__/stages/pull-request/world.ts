// A repository in two places, as in a real run: a local git checkout where fix-hashes wrote its
// verified fix, and the same commit on the local GitHub server. The fix result is built from the
// edits a test asks for, exactly as fix-hashes reports them (file, line, old, new, systems).
import { afterEach } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FixHashesResult, HashFix } from '../../../src/stages/fix-hashes/types.js'
import { runPullRequestStage, type PullRequestStageOptions } from '../../../src/stages/pull-request/pull-request-stage.js'
import type { GitHubTestServer } from '../../support/github-server/index.js'
import { testClient } from '../../support/github-server/index.js'
import type { FileSpec, PullRequest } from '../../support/github-server/store.js'
import { createRepo, digest, sri, type RepoFileSpec, type TestRepo } from '../../support/hash-fixtures.js'
import { recordingReporter, type RecordingReporter } from '../../support/reporting.js'
import { useGitHubServer } from '../../support/github-world.js'

export const owner = 'acme'
export const repo = 'mast'
/** The branch nix-ci opens its fix pull request from, for main. */
export const BRANCH = 'nix-ci/fix-hashes/main'
export const SYSTEMS = ['aarch64-linux', 'x86_64-linux']

export const OLD = sri(digest('mix deps before the bump'))
export const NEW = sri(digest('mix deps after the bump'))
export const OLD_NPM = sri(digest('npm deps before'))
export const NEW_NPM = sri(digest('npm deps after'))

/** flake.nix with the mix deps hash on line 6. */
export function flakeNix(hash: string, version = '0.1.0'): string {
  return [
    '{',
    '  outputs = { self, nixpkgs }: {',
    '    packages.x86_64-linux.default = self.lib.mixRelease {',
    `      version = "${version}";`,
    '      mixFodDeps = self.lib.fetchMixDeps {',
    `        hash = "${hash}";`,
    '      };',
    '    };',
    '  };',
    '}',
    ''
  ].join('\n')
}

/** An executable script with CRLF line endings and no final newline: its bytes and mode must survive. */
export function npmScript(hash: string): Buffer {
  return Buffer.from(`#!/bin/sh\r\n# npmDepsHash for the assets\r\nNPM_DEPS_HASH='${hash}'\r\nexec nix build .#assets`)
}

export const BASE_FILES = (): Record<string, RepoFileSpec> => ({
  'flake.nix': { content: flakeNix(OLD) },
  'nix/npm-deps.sh': { content: npmScript(OLD_NPM), mode: 0o755 },
  'mix.lock': { content: '%{"plug": {:hex, :plug, "1.16.1"}}\n' },
  'README.md': { content: '# mast\n' }
})

/** The server's spelling of the same files (git modes). */
export function serverFiles(files: Record<string, RepoFileSpec>): Record<string, FileSpec> {
  return Object.fromEntries(
    Object.entries(files).map(([path, spec]) => [
      path,
      { content: spec.content, mode: spec.mode !== undefined && spec.mode & 0o100 ? ('100755' as const) : ('100644' as const) }
    ])
  )
}

export interface FixSpec {
  file: string
  old: string
  new: string
  name: string
}

export const MIX_FIX: FixSpec = { file: 'flake.nix', old: OLD, new: NEW, name: 'mast-mix-deps-0.1.0' }
export const NPM_FIX: FixSpec = { file: 'nix/npm-deps.sh', old: OLD_NPM, new: NEW_NPM, name: 'mast-assets-npm-deps' }

/** Writes the fixes into the checkout as fix-hashes does, and returns its result. */
export function applyFixes(checkout: TestRepo, specs: FixSpec[]): FixHashesResult {
  const fixes: HashFix[] = specs.map(spec => {
    const path = join(checkout.dir, spec.file)
    const current = readFileSync(path, 'latin1')
    // Applying a fix twice (a rerun on the same checkout) finds it already written.
    const already = !current.includes(spec.old) && current.includes(spec.new)
    const at = already ? current.indexOf(spec.new) : current.indexOf(spec.old)
    if (at < 0) throw new Error(`${spec.old} is not in ${spec.file}`)
    const text = already ? current.slice(0, at) + spec.old + current.slice(at + spec.new.length) : current
    writeFileSync(path, Buffer.from(text.slice(0, at) + spec.new + text.slice(at + spec.old.length), 'latin1'))
    const line = text.slice(0, at).split('\n').length
    const column = at - text.lastIndexOf('\n', at - 1)
    return {
      derivation: `/nix/store/00000000000000000000000000000000-${spec.name}.drv`,
      name: spec.name,
      file: spec.file,
      line,
      column,
      old: spec.old,
      new: spec.new,
      systems: SYSTEMS,
      silent: false
    }
  })
  return {
    ok: false,
    failures: [],
    status: 'fixed',
    fixes,
    problems: [],
    writtenFiles: [...new Set(specs.map(s => s.file))],
    rounds: 2,
    rechecked: [],
    nixVersion: '2.8.0'
  }
}

export function cleanResult(): FixHashesResult {
  return {
    ok: true,
    failures: [],
    status: 'clean',
    fixes: [],
    problems: [],
    writtenFiles: [],
    rounds: 1,
    rechecked: [],
    nixVersion: '2.8.0'
  }
}

export { pushContext } from '../../support/run-context.js'

export interface StageRun {
  result: Awaited<ReturnType<typeof runPullRequestStage>>
  reporter: RecordingReporter
  outputs: Record<string, string>
}

export async function runStage(
  github: GitHubTestServer,
  options: Partial<PullRequestStageOptions> & Pick<PullRequestStageOptions, 'hashes' | 'repoDir' | 'context'>
): Promise<StageRun> {
  const reporter = recordingReporter()
  const result = await runPullRequestStage({
    mode: 'pull-request',
    buildOk: true,
    octokit: testClient(github),
    flake: '.',
    package: 'default',
    systems: SYSTEMS,
    reporter,
    ...options
  })
  return { result, reporter, outputs: Object.fromEntries(reporter.outputs) }
}

/** A local checkout with these files (committed), to hold fix-hashes' work tree. */
export function checkoutOf(files: Record<string, RepoFileSpec>): TestRepo {
  return createRepo(files)
}

export interface PullRequestWorld {
  github: GitHubTestServer
  /** A checkout of BASE_FILES, removed after the test. */
  checkout: TestRepo
  /** The commit BASE_FILES make on the server's main. */
  baseSha: string
}

/**
 * For each test of the calling file: the local GitHub seeded with BASE_FILES, and a checkout of the
 * same commit. Returns useGitHubServer's `another()`, for a test that starts over on a new server.
 */
export function usePullRequestWorld(onStart: (world: PullRequestWorld) => void): () => Promise<GitHubTestServer> {
  let checkout: TestRepo | undefined
  const another = useGitHubServer(github => {
    const baseSha = github.seedRepo({ owner, repo, files: serverFiles(BASE_FILES()) }).headSha
    checkout = checkoutOf(BASE_FILES())
    onStart({ github, checkout, baseSha })
  })
  afterEach(() => {
    checkout?.cleanup()
    checkout = undefined
  })
  return another
}

/** An open pull request as GitHub would hold it after someone (a bot, a contributor) opened it. */
export function openPull(github: GitHubTestServer, input: { head: string; headRepo?: string; user: string; title?: string }): PullRequest {
  const target = github.store.repo(owner, repo)
  const headRepoName = input.headRepo ?? `${owner}/${repo}`
  const [headOwner, headName] = headRepoName.split('/')
  const headSha = github.store.repo(headOwner, headName).refs.get(`refs/heads/${input.head}`)
  const baseSha = target.refs.get('refs/heads/main')
  if (!headSha || !baseSha) throw new Error(`openPull: ${headRepoName}:${input.head} or main does not exist`)
  const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  const pr: PullRequest = {
    number: Math.max(0, ...target.pulls.map(p => p.number)) + 1,
    id: github.store.id(),
    title: input.title ?? `Bump ${input.head}`,
    body: null,
    state: 'open',
    draft: false,
    headRepo: headRepoName,
    headRef: input.head,
    headSha,
    baseRef: 'main',
    baseSha,
    user: input.user,
    labels: [],
    createdAt: stamp,
    updatedAt: stamp,
    closedAt: null
  }
  target.pulls.push(pr)
  github.store.pullHead(pr) // GitHub holds the head commit in the base repository too (refs/pull/<n>/head)
  return pr
}
