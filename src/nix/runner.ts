// Spawns nix with an argument array (never a shell string) and streams its output line by line.
// A whole log is never held in memory: callers see typed lines as they arrive and keep what they need.
import { type ChildProcess, spawn } from 'node:child_process'
import { childEnv, withoutAccessTokens } from '../process-env.js'
import { LineSplitter } from './line-splitter.js'
import { NixVersion, parseNixVersion } from './version.js'

export type NixStream = 'stdout' | 'stderr'

export interface NixLine {
  stream: NixStream
  text: string
}

export interface NixRunOptions {
  /** The subcommand and its options: nix-ci's own words, never a value from outside. */
  args: string[]
  /**
   * Installables and store paths (and anything else a flake, a user or another job gave): after
   * `--`, so none can be an option. Nix takes no installable as "the flake in the working
   * directory", so an empty list is refused.
   */
  positional?: string[]
  cwd?: string
  /** Extra environment for this call (merged over the runner's). */
  env?: Record<string, string>
  /** Called for every complete output line, in order per stream. */
  onLine?: (line: NixLine) => void
  /** Keep stdout (e.g. `--json` results) up to this many bytes; larger output fails the call. */
  captureStdoutBytes?: number
  signal?: AbortSignal
}

export interface NixRunResult {
  args: string[]
  exitCode: number | null
  signal: NodeJS.Signals | null
  durationMs: number
  stdout: string
  cancelled: boolean
}

export interface NixRunnerConfig {
  /** The nix binary; `nix` from PATH by default. */
  nixBinary?: string
  /** `key = value` lines passed to every call through NIX_CONFIG. */
  nixConfig?: string
  /** Environment for every call (defaults to this process's), always through the allow-list of childEnv(). */
  env?: NodeJS.ProcessEnv
  /** How long nix gets to stop after SIGINT before SIGKILL. */
  killGraceMs?: number
  /** Every call's command and duration is appended here (shared by runners made with withConfig). */
  callLog?: NixCall[]
}

/** One nix call, for the time breakdown: `build`, `eval`, `config show`, `path-info`, ... */
export interface NixCall {
  command: string
  durationMs: number
  exitCode: number | null
}

export class NixNotFoundError extends Error {
  constructor(binary: string) {
    super(
      `Nix is not installed on this runner ('${binary}' was not found on PATH). ` +
        'Add a step before nix-ci: `uses: cachix/install-nix-action@v31` or ' +
        '`uses: DeterminateSystems/nix-installer-action@main`.'
    )
    this.name = 'NixNotFoundError'
  }
}

const EXPERIMENTAL = ['--extra-experimental-features', 'nix-command flakes']

export class NixRunner {
  readonly nixBinary: string
  readonly nixConfig: string
  private readonly env: NodeJS.ProcessEnv
  private readonly killGraceMs: number
  readonly callLog?: NixCall[]
  private versionPromise?: Promise<NixVersion>

  constructor(config: NixRunnerConfig = {}) {
    this.nixBinary = config.nixBinary ?? 'nix'
    this.nixConfig = config.nixConfig ?? ''
    // A fixed-output derivation can read any variable of Nix's environment (impureEnvVars).
    this.env = childEnv(config.env ?? process.env)
    this.killGraceMs = config.killGraceMs ?? 10_000
    this.callLog = config.callLog
  }

  /** A runner whose every call also carries these extra `key = value` lines. */
  withConfig(extraLines: string): NixRunner {
    const nixConfig = [this.nixConfig, extraLines].filter(s => s.trim() !== '').join('\n')
    const runner = new NixRunner({
      nixBinary: this.nixBinary,
      nixConfig,
      env: this.env,
      killGraceMs: this.killGraceMs,
      callLog: this.callLog
    })
    runner.versionPromise = this.versionPromise
    return runner
  }

  run(options: NixRunOptions): Promise<NixRunResult> {
    if (options.positional !== undefined && options.positional.length === 0)
      return Promise.reject(
        new Error(`nix ${commandName(options.args)} was asked to run on nothing: nix-ci must not call it without paths.`)
      )
    // A drvPath of `--allow-unsafe-native-code-during-evaluation` from a hostile flake is a path here.
    const positional = options.positional === undefined ? [] : ['--', ...options.positional]
    const args = [...EXPERIMENTAL, ...options.args, ...positional]
    const env: NodeJS.ProcessEnv = { ...this.env, ...options.env }
    // NIX_CONFIG from the caller's environment stays in force; ours comes after and wins.
    // access-tokens never go through the environment, where a fixed-output derivation can read them.
    const config = withoutAccessTokens([env.NIX_CONFIG ?? '', this.nixConfig].filter(s => s.trim() !== '').join('\n')).config
    if (config.trim() !== '') env.NIX_CONFIG = config
    else delete env.NIX_CONFIG
    const running = spawnStreaming(this.nixBinary, args, env, options, this.killGraceMs)
    const log = this.callLog
    if (log === undefined) return running
    return running.then(result => {
      log.push({ command: commandName(options.args), durationMs: result.durationMs, exitCode: result.exitCode })
      return result
    })
  }

  /** `nix --version`, e.g. "2.8.0" (cached per runner). */
  async version(): Promise<string> {
    return (await this.versionInfo()).text
  }

  /** Whether versionInfo() was asked already (its answer may still be on its way). */
  get versionAsked(): boolean {
    return this.versionPromise !== undefined
  }

  /** Which Nix this is (implementation and version), read once per runner. */
  versionInfo(): Promise<NixVersion> {
    this.versionPromise ??= this.run({ args: ['--version'], captureStdoutBytes: 4096 }).then(r => {
      ensureSuccess(r, 'nix --version')
      return parseNixVersion(r.stdout.trim().split('\n')[0] ?? '')
    })
    return this.versionPromise
  }
}

/** The subcommand words of a call (`derivation show`, `build`), without flags or installables. */
export function commandName(args: string[]): string {
  const words: string[] = []
  for (const arg of args) {
    if (arg.startsWith('-') || words.length === 2) break
    if (!/^[a-z][a-z-]*$/.test(arg)) break
    words.push(arg)
  }
  if (words.length === 2 && !['config', 'derivation', 'store', 'flake', 'key', 'hash'].includes(words[0])) words.pop()
  return words.join(' ') || args[0] || 'nix'
}

export class NixCommandError extends Error {
  constructor(
    readonly what: string,
    readonly result: NixRunResult,
    readonly lastLines: string[]
  ) {
    const tail = lastLines.length > 0 ? `:\n${lastLines.join('\n')}` : ''
    super(`${what} failed (exit ${result.exitCode ?? result.signal})${tail}`)
    this.name = 'NixCommandError'
  }
}

export function ensureSuccess(result: NixRunResult, what: string, lastLines: string[] = []): void {
  if (result.exitCode !== 0) throw new NixCommandError(what, result, lastLines)
}

function spawnStreaming(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: NixRunOptions,
  killGraceMs: number
): Promise<NixRunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    if (options.signal?.aborted) {
      resolve({ args, exitCode: null, signal: null, durationMs: 0, stdout: '', cancelled: true })
      return
    }
    // Its own spawn, not @actions/exec (which git uses): cancelling must kill nix's whole process
    // group (builders, QEMU), and hostile builder output needs streamed lines, bounded in memory.
    // detached: nix leads its own process group, so cancellation reaches every process it started.
    const child = spawn(binary, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const canceller = new GroupCanceller(child, killGraceMs)
    const captured = new StdoutCapture(options.captureStdoutBytes)
    const emit = options.onLine ?? (() => {})
    const splitters = {
      stdout: new LineSplitter(text => emit({ stream: 'stdout', text })),
      stderr: new LineSplitter(text => emit({ stream: 'stderr', text }))
    }
    options.signal?.addEventListener('abort', canceller.cancel, { once: true })

    child.stdout.on('data', (chunk: Buffer) => {
      captured.push(chunk)
      splitters.stdout.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => splitters.stderr.push(chunk))

    child.on('error', (err: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', canceller.cancel)
      reject(err.code === 'ENOENT' ? new NixNotFoundError(binary) : err)
    })
    child.on('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', canceller.cancel)
      canceller.stopKillTimer()
      splitters.stdout.end()
      splitters.stderr.end()
      if (captured.overflow) {
        reject(new Error(`nix ${args.join(' ')} printed more than ${options.captureStdoutBytes} bytes on stdout`))
        return
      }
      resolve({ args, exitCode, signal, durationMs: Date.now() - started, stdout: captured.text, cancelled: canceller.cancelled })
    })
  })
}

/** Cancels a run: SIGINT to nix's whole process group, then SIGKILL if it is still there after the grace time. */
class GroupCanceller {
  cancelled = false
  private killTimer?: NodeJS.Timeout

  constructor(
    private readonly child: ChildProcess,
    private readonly killGraceMs: number
  ) {}

  readonly cancel = (): void => {
    if (this.cancelled || this.child.exitCode !== null) return
    this.cancelled = true
    signalGroup(this.child.pid, 'SIGINT')
    this.killTimer = setTimeout(() => signalGroup(this.child.pid, 'SIGKILL'), this.killGraceMs)
    this.killTimer.unref()
  }

  stopKillTimer(): void {
    if (this.killTimer) clearTimeout(this.killTimer)
  }
}

/** Keeps stdout up to a byte limit (nothing without one); past it, `overflow` and the call fails. */
class StdoutCapture {
  text = ''
  overflow = false
  private bytes = 0

  constructor(private readonly limit: number | undefined) {}

  push(chunk: Buffer): void {
    if (this.limit === undefined || this.overflow) return
    this.bytes += chunk.length
    if (this.bytes > this.limit) this.overflow = true
    else this.text += chunk.toString('utf8')
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}
