// The git module against real git in temporary repositories: what each helper answers, what a
// failure says, and what git is given (the allow-listed environment) and allowed to print (nothing
// reaches nix-ci's stdout, where the runner reads workflow commands).
import { describe, expect, it, jest } from '@jest/globals'
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { catBlob, diffNameOnly, git, GitError, headCommit, lsFiles, MAX_STDOUT_BYTES, revParse, topLevel } from '../../src/git/git.js'
import { useCleanup, useTempDirs } from '../support/cleanup.js'
import { createRepo } from '../support/hash-fixtures.js'

const track = useCleanup()
const tempDir = useTempDirs()
const repo = (files: Parameters<typeof createRepo>[0]) => track(createRepo(files))

/** The GitError the promise rejects with; fails the test when it resolves or throws anything else. */
async function caught(promise: Promise<unknown>): Promise<GitError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(GitError)
    return error as GitError
  }
  throw new Error('expected git to fail')
}

describe('the helpers', () => {
  it('headCommit and revParse answer what git itself answers', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    expect(await headCommit(r.dir)).toBe(r.git('rev-parse', 'HEAD'))
    expect(await headCommit(r.dir)).toMatch(/^[0-9a-f]{40}$/)
    expect(await revParse(r.dir, 'HEAD:flake.nix')).toBe(r.git('hash-object', 'flake.nix'))
  })

  it('topLevel is the repository root from any folder inside it', async () => {
    const r = repo({ 'sub/dir/flake.nix': '{ }\n' })
    expect(realpathSync(await topLevel(join(r.dir, 'sub', 'dir')))).toBe(realpathSync(r.dir))
  })

  it('lsFiles lists tracked files only, names with spaces, newlines and UTF-8 as they are', async () => {
    const r = repo({
      'flake.nix': '{ }\n',
      'with space/a b.nix': 'x\n',
      'line\nbreak.nix': 'x\n',
      'café.nix': 'x\n',
      'scratch.nix': { content: 'x\n', untracked: true }
    })
    expect((await lsFiles(r.dir)).sort()).toEqual(['café.nix', 'flake.nix', 'line\nbreak.nix', 'with space/a b.nix'].sort())
    expect(await lsFiles(join(r.dir, 'with space'))).toEqual(['a b.nix'])
  })

  it('lsFiles names a file once even while it is in a merge conflict (three index stages)', async () => {
    const r = repo({ 'mix.lock': 'base\n' })
    r.git('checkout', '-q', '-b', 'other')
    writeFileSync(join(r.dir, 'mix.lock'), 'other\n')
    r.git('commit', '-qam', 'other')
    r.git('checkout', '-q', 'main')
    writeFileSync(join(r.dir, 'mix.lock'), 'main\n')
    r.git('commit', '-qam', 'main')
    expect(() => r.git('merge', '-q', 'other')).toThrow()
    expect(r.git('ls-files', '--stage').split('\n')).toHaveLength(3)
    expect(await lsFiles(r.dir)).toEqual(['mix.lock'])
  })

  it('diffNameOnly lists committed and uncommitted changes since base, from the root, unquoted', async () => {
    const r = repo({ 'mix.lock': 'a\n', 'sub/Cargo.lock': 'a\n', 'README.md': 'a\n' })
    const base = r.git('rev-parse', 'HEAD')
    writeFileSync(join(r.dir, 'mix.lock'), 'b\n')
    r.git('commit', '-qam', 'bump')
    writeFileSync(join(r.dir, 'sub', 'Cargo.lock'), 'b\n')
    mkdirSync(join(r.dir, 'dé p'))
    writeFileSync(join(r.dir, 'dé p', 'go.sum'), 'x\n')
    r.git('add', '--', 'dé p/go.sum')
    expect((await diffNameOnly(join(r.dir, 'sub'), base)).sort()).toEqual(['dé p/go.sum', 'mix.lock', 'sub/Cargo.lock'])
    expect(await diffNameOnly(r.dir, 'HEAD')).toEqual(['dé p/go.sum', 'sub/Cargo.lock'])
  })

  it('catBlob gives a blob byte for byte (CRLF, NUL, no final newline)', async () => {
    const bytes = Buffer.from([0x41, 0x0d, 0x0a, 0x00, 0xff, 0x42])
    const r = repo({ 'blob.bin': bytes })
    expect((await catBlob(r.dir, await revParse(r.dir, 'HEAD:blob.bin'))).equals(bytes)).toBe(true)
  })

  it('git() hands back an exit code the caller allows, and its output', async () => {
    const r = repo({ 'mix.lock': 'a\n' })
    writeFileSync(join(r.dir, 'mix.lock'), 'b\n')
    const result = await git(r.dir, ['diff', '--quiet'], { okExitCodes: [1] })
    expect(result.exitCode).toBe(1)
    expect((await git(r.dir, ['diff', '--quiet'], { okExitCodes: [1] })).stdout.length).toBe(0)
    expect((await caught(git(r.dir, ['diff', '--quiet']))).exitCode).toBe(1)
  })
})

describe('when git fails', () => {
  it("names the command, the folder and git's own words, and says what to do", async () => {
    const dir = tempDir('nix-ci-not-a-repo-')
    const error = await caught(headCommit(dir))
    expect(error.message).toContain(`git rev-parse HEAD^{commit} failed in ${dir}`)
    expect(error.message).toMatch(/not a git repository/)
    expect(error.message).toMatch(/nix-ci needs a git checkout of the flake \(actions\/checkout\) and git on PATH\.$/)
    expect(error.exitCode).toBe(128)
    expect(error.args).toEqual(['rev-parse', 'HEAD^{commit}'])
  })

  it("a caller's hint replaces the default one", async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    const error = await caught(revParse(r.dir, 'HEAD:missing.nix', { hint: 'Did a later step remove it?' }))
    expect(error.message).toMatch(/\(fatal: path 'missing\.nix' does not exist in 'HEAD'\)\. Did a later step remove it\?$/)
  })

  it('an option-looking revision is a revision, never an option', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    const out = join(r.dir, 'written-by-git')
    const diff = await caught(diffNameOnly(r.dir, `--output=${out}`))
    expect(diff.exitCode).toBe(128)
    expect(diff.message).toMatch(/bad revision '--output=/)
    const rev = await caught(revParse(r.dir, '--git-dir'))
    expect(rev.message).toMatch(/\('--git-dir' is not a revision\)/)
    expect(existsSync(out)).toBe(false)
  })

  it('an option-looking object name is an object name, never an option', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    // Without `--`, git reads `--textconv` as an option and the blob type as the object's name.
    const error = await caught(catBlob(r.dir, '--textconv'))
    expect(error.message).toMatch(/Not a valid object name --textconv/)
  })

  it('a revision that names no single object is an error, not an answer', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    const error = await caught(revParse(r.dir, 'HEAD..HEAD'))
    expect(error.message).toMatch(/not one object name/)
  })

  it('quotes stderr on one bounded line, without colour codes or carriage returns', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    const noisy =
      '!f() { printf "\\033[31mfirst\\033[0m\\r\\n" >&2; i=0; while [ $i -lt 2000 ]; do echo "line $i" >&2; i=$((i+1)); done; exit 3; }; f'
    const error = await caught(git(r.dir, ['-c', `alias.noisy=${noisy}`, 'noisy']))
    expect(error.exitCode).toBe(3)
    expect([...error.message].filter(c => c < ' ')).toEqual([])
    expect(error.message).toContain('(first line 0 line 1 ')
    expect(error.message.length).toBeLessThan(600)
    expect(error.stderr).toContain('line 1999')
  })

  it('a command that prints more than the bound fails instead of filling memory', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    // Lines, so the test does not pay @actions/exec's cost for newline-free output (see MAX_STDOUT_BYTES).
    const big = `!yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c ${MAX_STDOUT_BYTES + 1}`
    const error = await caught(git(r.dir, ['-c', `alias.big=${big}`, 'big']))
    expect(error.exitCode).toBeUndefined()
    expect(error.message).toMatch(/\(it printed more than 16 MiB\)/)
    expect((await git(r.dir, ['-c', `alias.big=${big.replace(/\d+$/, String(MAX_STDOUT_BYTES))}`, 'big'])).stdout.length).toBe(
      MAX_STDOUT_BYTES
    )
  })

  it('says so when git is not on PATH, or the folder does not exist', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    const path = process.env.PATH
    process.env.PATH = tempDir('nix-ci-empty-path-')
    try {
      const error = await caught(headCommit(r.dir))
      expect(error.exitCode).toBeUndefined()
      expect(error.message).toMatch(/Unable to locate executable file: git/)
    } finally {
      process.env.PATH = path
    }
    const gone = join(tmpdir(), `nix-ci-gone-${process.pid}`)
    expect((await caught(topLevel(gone))).message).toMatch(/does not exist/)
  })
})

describe('what git is given and what it may print', () => {
  it('runs with the allow-listed environment: no tokens, PATH and HOME kept', async () => {
    const r = repo({ 'flake.nix': '{ }\n' })
    const saved = { ...process.env }
    process.env.GITHUB_TOKEN = 'ghs_git_child_marker'
    process.env['INPUT_GITHUB-TOKEN'] = 'ghs_git_child_marker'
    process.env.ACTIONS_RUNTIME_TOKEN = 'git_child_marker'
    try {
      const env = (await git(r.dir, ['-c', 'alias.env=!env', 'env'])).stdout.toString('utf8')
      expect(env).not.toContain('git_child_marker')
      expect(env).toMatch(/^PATH=/m)
      expect(env).toMatch(/^HOME=/m)
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    }
  })

  it('nothing git prints reaches stdout or stderr: a file named like a workflow command stays data', async () => {
    // Echoed, the name would put a workflow command at the start of a line.
    const name = 'a\n::error::pwned.nix'
    const r = repo({ [name]: 'x\n' })
    const written: string[] = []
    const capture = (chunk: string | Uint8Array) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      return true
    }
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture)
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture)
    try {
      expect(await lsFiles(r.dir)).toEqual([name])
      await caught(revParse(r.dir, `HEAD:${name}-missing`))
    } finally {
      out.mockRestore()
      err.mockRestore()
    }
    expect(written.join('')).not.toContain('pwned')
  })
})
