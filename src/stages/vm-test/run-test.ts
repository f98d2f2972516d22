// Builds the test derivation with a deadline, streaming its log: the driver's lines (builder output,
// result events of the structured log) go to the live log and to the failure extractor; Nix's own
// error messages are kept apart. A timeout stops nix and everything it started.
import { ActivityType, ResultType, parseInternalJsonLine, stripAnsi } from '../../nix/internal-json.js'
import { NixRunner } from '../../nix/runner.js'
import type { Reporter } from '../../report/reporter.js'
import { VmTestLog } from '../../nix/vm-test-log.js'

export interface VmTestRunOptions {
  nix: NixRunner
  installable: string
  extraArgs?: string[]
  timeoutMs: number
  /** Whose journal lines to keep (`services.<service>`). */
  service: string
  reporter: Reporter
  cwd?: string
  signal?: AbortSignal
}

export interface VmTestRun {
  exitCode: number | null
  timedOut: boolean
  cancelled: boolean
  durationMs: number
  log: VmTestLog
  nixErrors: string[]
}

const MAX_NIX_ERRORS = 50

export async function runVmTestBuild(options: VmTestRunOptions): Promise<VmTestRun> {
  const { reporter } = options
  const log = new VmTestLog(options.service)
  const nixErrors: string[] = []
  const builds = new Set<number>()
  const deadline = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    deadline.abort()
  }, options.timeoutMs)
  const onOuterAbort = (): void => deadline.abort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) deadline.abort()

  try {
    const result = await options.nix.run({
      args: ['build', '--no-link', '--log-format', 'internal-json', ...(options.extraArgs ?? [])],
      positional: [options.installable],
      cwd: options.cwd,
      signal: deadline.signal,
      onLine: line => {
        if (line.stream === 'stdout') return
        const event = parseInternalJsonLine(line.text)
        if (event === undefined) {
          if (line.text.trim() !== '') reporter.untrusted(stripAnsi(line.text))
          return
        }
        if (event.action === 'start' && event.type === ActivityType.Build) {
          builds.add(event.id)
          reporter.untrusted(stripAnsi(event.text))
        } else if (event.action === 'result' && event.type === ResultType.BuildLogLine && builds.has(event.id)) {
          const text = String(event.fields[0] ?? '')
          log.push(text)
          reporter.untrusted(stripAnsi(text))
        } else if (event.action === 'msg') {
          const text = stripAnsi(event.msg)
          if (event.level === 0 && nixErrors.length < MAX_NIX_ERRORS) nixErrors.push(text)
          if (event.level <= 1) reporter.untrusted(text)
        }
      }
    })
    return {
      exitCode: result.exitCode,
      timedOut: timedOut && result.exitCode !== 0,
      cancelled: result.cancelled && !timedOut,
      durationMs: result.durationMs,
      log,
      nixErrors
    }
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
}
