// Moves a cache entry (one directory) to and from the GitHub Actions cache with @actions/cache.
// The client never throws for service trouble: it logs through @actions/core and returns "nothing
// restored" / -1. So while it runs, this module listens to what @actions/core writes and turns it
// into a typed outcome, reported through our Reporter: a cache failure is a warning, never an error
// annotation, and the terminal CLI never sees raw `::warning::` workflow commands.
import * as actionsCache from '@actions/cache'
import type { Reporter } from '../report/reporter.js'

export type RestoreOutcome =
  | { kind: 'hit'; matchedKey: string }
  | { kind: 'miss' }
  /** matchedKey: the entry the service offered, when the failure came after the lookup (download, unpacking). */
  | { kind: 'failed'; reason: string; matchedKey?: string }
export type SaveOutcome = { kind: 'saved'; entryId: number } | { kind: 'failed'; reason: string }

/** Why the cache service cannot be used here, or undefined when it can. */
export function cacheServiceUnavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!actionsCache.isFeatureAvailable()) {
    return 'the Actions cache service is not available here (ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL are unset: not running inside GitHub Actions?)'
  }
  if (!env.ACTIONS_RUNTIME_TOKEN) return 'ACTIONS_RUNTIME_TOKEN is unset, so the Actions cache service cannot be called'
  return undefined
}

export async function restoreEntry(dir: string, key: string, restoreKeys: string[], reporter: Reporter): Promise<RestoreOutcome> {
  const { value, problems, details, lines } = await listeningToToolkit(reporter, () => actionsCache.restoreCache([dir], key, restoreKeys))
  if (value instanceof Error) return { kind: 'failed', reason: value.message }
  if (value !== undefined) return { kind: 'hit', matchedKey: value }
  // A miss is silent; anything the client complained about means the lookup or download failed.
  if (problems.length > 0) {
    const offered = lines.map(l => /^Cache hit for(?: restore-key)?: (.+)$/.exec(l)?.[1]).find(k => k !== undefined)
    return { kind: 'failed', reason: explain(problems, details), ...(offered !== undefined ? { matchedKey: offered } : {}) }
  }
  return { kind: 'miss' }
}

export async function saveEntry(dir: string, key: string, reporter: Reporter): Promise<SaveOutcome> {
  const { value, problems, details } = await listeningToToolkit(reporter, () => actionsCache.saveCache([dir], key))
  if (value instanceof Error) return { kind: 'failed', reason: value.message }
  if (typeof value === 'number' && value >= 0) return { kind: 'saved', entryId: value }
  return { kind: 'failed', reason: explain(problems, details) || 'the cache service did not accept the entry' }
}

/**
 * One line per problem. The client's save failure says only "another job may be creating this
 * cache" whatever happened; its debug line has the service's own answer (quota, conflict, ...).
 */
function explain(problems: string[], details: string[]): string {
  const firstLine = (text: string): string => text.split('\n')[0].trim()
  const specific = details.map(d => firstLine(d).replace(/^Failed to reserve cache: (?:\w*Error: )?/, 'reserving the entry failed: '))
  return (specific.length > 0 ? specific : problems.map(firstLine)).join('; ')
}

interface Heard<T> {
  value: T | Error
  /** Warnings, errors and "Failed to ..." lines of the client. */
  problems: string[]
  /** Debug lines that explain a failure the client reports only vaguely (e.g. why a reservation failed). */
  details: string[]
  /** The client's plain log lines (also sent to reporter.info). */
  lines: string[]
}

type Collected = Omit<Heard<never>, 'value'>
type Write = (text: string) => boolean
interface LineCatcher {
  /** Stands in for process.stdout.write (same arguments: chunk, encoding and/or callback). */
  write: (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean
  /** Hands on a last line that had no newline. */
  flush: () => void
}

/**
 * Runs fn while holding process.stdout, where @actions/core writes: plain lines go to reporter.info,
 * problems are collected for one warning of ours, `::add-mask::` becomes reporter.setSecret, and
 * inside Actions other workflow commands (`::debug::`) pass through unchanged. Nothing else in nix-ci
 * writes to stdout while the cache client runs.
 */
async function listeningToToolkit<T>(reporter: Reporter, fn: () => Promise<T>): Promise<Heard<T>> {
  const stdout = process.stdout
  const originalWrite = stdout.write
  const writeOriginal: Write = text => originalWrite.call(stdout, text)
  const heard: Collected = { problems: [], details: [], lines: [] }
  const catcher = lineCatcher(writeOriginal, line => hearLine(line, heard, reporter, writeOriginal))
  stdout.write = catcher.write as typeof stdout.write
  let value: T | Error
  try {
    value = await fn()
  } catch (error) {
    // Only ValidationError escapes the client (a key or path it refuses); still just a cache failure.
    value = error instanceof Error ? error : new Error(String(error))
  } finally {
    stdout.write = originalWrite
  }
  catcher.flush()
  return { value, ...heard }
}

/**
 * A stdout.write that cuts what is written into lines for onLine. What onLine itself writes while
 * it runs (a passed-through workflow command) goes straight to the real stdout.
 */
function lineCatcher(writeOriginal: Write, onLine: (line: string) => void): LineCatcher {
  let pending = ''
  let forwarding = false
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const cb = typeof encoding === 'function' ? encoding : callback
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
    let written = true
    if (forwarding) {
      written = writeOriginal(text)
    } else {
      forwarding = true
      try {
        pending += text
        let newline: number
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).replace(/\r$/, '')
          pending = pending.slice(newline + 1)
          onLine(line)
        }
      } finally {
        forwarding = false
      }
    }
    if (typeof cb === 'function') (cb as () => void)()
    return written
  }
  const flush = (): void => {
    if (pending !== '') onLine(pending)
    pending = ''
  }
  return { write, flush }
}

const WORKFLOW_COMMAND = /^::([\w-]+)(?: [^:]*)?::(.*)$/

/** One line @actions/core wrote: a plain log line, or a workflow command (`::name props::data`). */
function hearLine(line: string, heard: Collected, reporter: Reporter, writeOriginal: Write): void {
  const command = WORKFLOW_COMMAND.exec(line)
  if (!command) {
    if (/^Failed to (save|restore)\b/.test(line)) heard.problems.push(line)
    else if (line.trim() !== '') {
      heard.lines.push(line)
      reporter.info(line)
    }
    return
  }
  const [, name, data] = command
  const message = unescapeCommandData(data)
  if (name === 'warning' || name === 'error') heard.problems.push(message)
  else if (name === 'debug' && /^Failed to reserve cache: /.test(message)) heard.details.push(message)
  // Signed URLs' signatures: masked through the Reporter (the action's emits `::add-mask::` itself).
  if (name === 'add-mask') reporter.setSecret(message)
  // Inside Actions the runner shows debug lines when asked to; a terminal has no use for them.
  else if (name !== 'warning' && name !== 'error' && process.env.GITHUB_ACTIONS === 'true') writeOriginal(`${line}\n`)
}

/** Workflow command data is escaped by @actions/core (`%`, CR, LF). */
function unescapeCommandData(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}
