// The one owner of git: every git command nix-ci runs goes through `git()`. Arguments are an array
// (no shell), the environment is the allow-listed one (childEnv: no tokens reach git or its
// helpers), and git's output is captured, never echoed: the runner reads workflow commands from
// nix-ci's stdout, and a file name or ref in git's output must not become one. A failure is a
// GitError that names the command and git's own words, on one line, bounded.
// Every helper ends its options with `--` (or `--end-of-options` before revisions), so no value
// from outside is read as an option; rev-parse, whose revisions come before its `--`, refuses
// one that starts with `-` itself (see revParse).
import { exec } from '@actions/exec'
import { errorMessage } from '../errors.js'
import { childEnv } from '../process-env.js'

/**
 * What a command may print before it counts as a failure. 16 MiB of `ls-files -z` is some 300,000
 * files; and @actions/exec splits every chunk into lines whether or not anyone listens, which costs
 * time quadratic in the length of output without newlines (-z listings, blobs): 16 MiB takes ~3 s.
 */
export const MAX_STDOUT_BYTES = 16 << 20
const MAX_STDERR_BYTES = 64 << 10
/** How much of git's stderr a message quotes. */
const MAX_DETAIL_CHARS = 300
const DEFAULT_HINT = 'nix-ci needs a git checkout of the flake (actions/checkout) and git on PATH.'

export class GitError extends Error {
  constructor(
    message: string,
    /** The arguments after `git`. */
    readonly args: string[],
    readonly cwd: string,
    /** undefined when git did not run (not installed, no such folder) or printed too much. */
    readonly exitCode: number | undefined,
    /** git's stderr, bounded, as it printed it. */
    readonly stderr: string
  ) {
    super(message)
    this.name = 'GitError'
  }
}

export interface GitOptions {
  /** Exit codes that are answers rather than failures (0 always is). */
  okExitCodes?: number[]
  /** What to do when the command fails, for the error's message (default: have a checkout and git). */
  hint?: string
}

export interface GitResult {
  exitCode: number
  stdout: Buffer
  stderr: string
}

/** Runs `git ...args` in cwd, silently; throws a GitError when it fails. */
export async function git(cwd: string, args: string[], options: GitOptions = {}): Promise<GitResult> {
  const stdout: Buffer[] = []
  let stdoutBytes = 0
  let stderr = ''
  let exitCode: number
  try {
    exitCode = await exec('git', args, {
      cwd,
      env: childEnv() as Record<string, string>,
      silent: true,
      ignoreReturnCode: true,
      listeners: {
        stdout: (data: Buffer) => {
          stdoutBytes += data.length
          if (stdoutBytes <= MAX_STDOUT_BYTES) stdout.push(data)
        },
        stderr: (data: Buffer) => {
          if (stderr.length < MAX_STDERR_BYTES) stderr += data.toString('utf8').slice(0, MAX_STDERR_BYTES - stderr.length)
        }
      }
    })
  } catch (error) {
    // @actions/exec throws when git cannot start: not on PATH, or cwd does not exist.
    throw failure(cwd, args, undefined, '', errorMessage(error), options.hint)
  }
  if (stdoutBytes > MAX_STDOUT_BYTES)
    throw failure(cwd, args, undefined, stderr, `it printed more than ${MAX_STDOUT_BYTES >> 20} MiB`, options.hint)
  if (exitCode !== 0 && !(options.okExitCodes ?? []).includes(exitCode)) throw failure(cwd, args, exitCode, stderr, undefined, options.hint)
  return { exitCode, stdout: Buffer.concat(stdout), stderr }
}

function failure(
  cwd: string,
  args: string[],
  exitCode: number | undefined,
  stderr: string,
  cause: string | undefined,
  hint = DEFAULT_HINT
): GitError {
  const command = bounded(`git ${args.join(' ')}`, 200)
  const detail = detailLine(cause ?? stderr) || `exit code ${exitCode}`
  return new GitError(`${command} failed in ${cwd} (${detail}). ${hint}`, args, cwd, exitCode, stderr)
}

/** git's words as one bounded line: no control characters (ANSI colours, CR, newlines), at most MAX_DETAIL_CHARS. */
function detailLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x1f\x7f]+/g, ' ')
  return bounded(plain.replace(/\s+/g, ' ').trim(), MAX_DETAIL_CHARS)
}

function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** stdout as text without its final newline (what rev-parse and friends print). */
async function line(cwd: string, args: string[], options?: GitOptions): Promise<string> {
  return (await git(cwd, args, options)).stdout.toString('utf8').replace(/\r?\n$/, '')
}

/** NUL-separated names (`-z`), as git prints them: no quoting of unusual bytes. */
async function names(cwd: string, args: string[], options?: GitOptions): Promise<string[]> {
  return (await git(cwd, args, options)).stdout
    .toString('utf8')
    .split('\0')
    .filter(name => name !== '')
}

/** The object name `rev` resolves to (`HEAD`, `HEAD:path`, `main^{commit}`); throws when it does not. */
export async function revParse(cwd: string, rev: string, options?: GitOptions): Promise<string> {
  const args = ['rev-parse', rev]
  // Not --verify: its only complaint is "Needed a single revision", where plain rev-parse says which
  // path or revision is missing. Older gits' rev-parse takes no --end-of-options: no option reaches it.
  if (rev.startsWith('-')) throw failure(cwd, args, undefined, '', `'${rev}' is not a revision`, options?.hint)
  const name = await line(cwd, args, options)
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(name))
    throw failure(cwd, args, 0, '', `it printed '${name}', not one object name`, options?.hint)
  return name
}

/** The commit checked out in cwd; throws when cwd is not in a git work tree or has no commit yet. */
export async function headCommit(cwd: string, options?: GitOptions): Promise<string> {
  return revParse(cwd, 'HEAD^{commit}', options)
}

/** The branch checked out in cwd as a full ref (`refs/heads/main`); '' when HEAD is detached. */
export async function headRef(cwd: string, options?: GitOptions): Promise<string> {
  return line(cwd, ['symbolic-ref', '-q', 'HEAD'], { okExitCodes: [1], ...options })
}

/** The root folder of the work tree holding cwd, as git prints it. */
export function topLevel(cwd: string, options?: GitOptions): Promise<string> {
  return line(cwd, ['rev-parse', '--show-toplevel'], options)
}

/** The files in git's index below cwd, relative to cwd, `/`-separated (once per path, also for a merge conflict's stages). */
export async function lsFiles(cwd: string, options?: GitOptions): Promise<string[]> {
  return [...new Set(await names(cwd, ['ls-files', '-z', '--cached', '--'], options))]
}

/** The files that differ between `base` and the work tree (committed or not), from the repository root. */
export function diffNameOnly(cwd: string, base: string, options?: GitOptions): Promise<string[]> {
  return names(cwd, ['diff', '--name-only', '-z', '--end-of-options', base, '--'], options)
}

/** A blob's bytes, exactly. */
export async function catBlob(cwd: string, sha: string, options?: GitOptions): Promise<Buffer> {
  return (await git(cwd, ['cat-file', 'blob', '--', sha], options)).stdout
}
