// One streaming classifier for any Nix log: every Nix version's wording, plain or internal-json,
// with or without -L, pasted or downloaded. push(line) per line, finish() once; memory is bounded
// (capped lists, capped maps, one open block per recogniser), whatever the log's size.
//
// Trust. 'plain-log' (saved logs, `nix-ci explain`): unprefixed lines and every msg event are read
// as Nix's; `name> ` lines, quoted `> ` tails and result events as builder output. A saved log
// cannot prove its author, and explain never acts on what it finds, so that is the right reading.
// 'internal-json-only' (live runs): only msg events carrying raw_msg are Nix's (a builder cannot
// forge one, see mismatch-parser.ts); plain lines are ignored; builder output only corroborates.
import type { TrustMode } from '../hashes/mismatch-parser.js'
import { ActivityType, ResultType, parseInternalJsonLine, stripAnsi } from '../nix/internal-json.js'
import type { NixLine } from '../nix/runner.js'
import { PasteNormaliser } from './normalise.js'
import { ExecFormatRecogniser } from './recognisers/exec-format.js'
import { FailedBuildRecogniser } from './recognisers/failed-builds.js'
import { HashErrorRecogniser } from './recognisers/hash-errors.js'
import { PlatformRecogniser } from './recognisers/platform.js'
import { VmTestRecogniser } from './recognisers/vm-tests.js'
import { Findings, Origin, drvName } from './types.js'

export interface LogClassifierOptions {
  /** Default 'plain-log'. */
  trust?: TrustMode
}

/** `nix build -L` prefixes a builder's lines with its derivation's name. */
const BUILDER_PREFIX = /^([A-Za-z0-9+\-._?=]+)> ?/
/** A failed build's tail, quoted by Nix under "last N log lines:". */
const QUOTED = /^\s*> ?/
const BUILDING = /^building '([^']+\.drv)'/
/**
 * Every line a recogniser could want contains one of these; the rest (nearly all of a build log)
 * is skipped after this one test. Multi-line blocks continue on lines that match too (Reason:,
 * Required system:, …), and VM test output is fed whole once a test has been seen.
 */
const INTERESTING =
  /failed|Cannot build|Reason: |Required system|Current system|is required to build|Exec format error|hash '|SRI hash|copying path|building '|must succeed|must fail|waiting for|starting vm|QEMU running|subtest: |!!! |test script finished|run the VM test script|Machine state will be reset|Test will time out|kvm|KVM/
const MAX_ACTIVITIES = 1024

export class LogClassifier {
  private readonly trust: TrustMode
  private readonly normaliser = new PasteNormaliser()
  private readonly hashes: HashErrorRecogniser
  private readonly platforms = new PlatformRecogniser()
  private readonly failed = new FailedBuildRecogniser()
  private readonly exec = new ExecFormatRecogniser()
  private readonly vm = new VmTestRecogniser()
  /** internal-json activity id -> derivation being built; derivation name -> path. Both capped. */
  private readonly activityDrv = new Map<number, string>()
  private readonly nameDrv = new Map<string, string>()

  constructor(options: LogClassifierOptions = {}) {
    this.trust = options.trust ?? 'plain-log'
    this.hashes = new HashErrorRecogniser(this.trust)
  }

  /** Feeds a NixRunner's lines (stderr carries the log). */
  readonly onLine = (line: NixLine): void => {
    if (line.stream === 'stderr') this.push(line.text)
  }

  /** One log line, without its newline. */
  push(raw: string): void {
    const line = this.normaliser.normalise(raw)
    this.hashes.pushLogLine(line)
    if (line.startsWith('@nix ')) return this.pushInternalJson(line)
    if (this.trust === 'internal-json-only') return
    if (!this.vm.active && !INTERESTING.test(line)) return
    this.dispatch(line)
  }

  /** A builder's output line known to belong to `drv` (e.g. a failed build's kept tail). */
  pushBuilderLine(text: string, drv: string): void {
    this.remember(drvName(drv), drv)
    this.hashes.pushLogLine(`${drvName(drv)}> ${text}`)
    this.toRecognisers(text, { from: 'builder', key: drvName(drv), drv })
  }

  finish(): Findings {
    const hash = this.hashes.finish()
    this.platforms.finish()
    const fodDrvs = new Set(hash.fodMismatches.filter(m => m.source === 'nix').map(m => m.derivation))
    // Newer Nix also says "Cannot build" for a FOD whose hash mismatched: that is the mismatch.
    const failedBuilds = this.failed.finish().filter(f => !fodDrvs.has(f.derivation))
    const failedDrvs = new Set(failedBuilds.map(f => f.derivation))
    return {
      fodMismatches: hash.fodMismatches,
      otherHashErrors: hash.otherHashErrors,
      platformMismatches: [...this.platforms.found],
      execFormatErrors: this.exec.finish(this.trust === 'internal-json-only' ? failedDrvs : undefined),
      vmTests: this.vm.finish(failedDrvs, name => this.nameDrv.get(name) ?? failedBuilds.find(f => drvName(f.derivation) === name)?.derivation),
      failedBuilds,
      truncated: hash.truncated || this.platforms.truncated || this.failed.truncated || this.exec.truncated || this.vm.truncated
    }
  }

  /** A plain line, or a line of a msg event's text: Nix's own, unless it quotes a builder. */
  private dispatch(line: string): void {
    const prefixed = BUILDER_PREFIX.exec(line)
    if (prefixed) {
      const key = prefixed[1]
      return this.toRecognisers(line.slice(prefixed[0].length), { from: 'builder', key, ...this.drvOf(key) })
    }
    const quoted = QUOTED.exec(line)
    if (quoted) {
      const drv = this.failed.lastFailing
      const origin: Origin = { from: 'builder', key: drv !== undefined ? drvName(drv) : '>', ...(drv !== undefined ? { drv } : {}) }
      return this.toRecognisers(line.slice(quoted[0].length), origin)
    }
    const building = BUILDING.exec(line)
    if (building) this.noteBuilding(building[1])
    this.toRecognisers(line, { from: 'nix' })
  }

  private toRecognisers(text: string, origin: Origin): void {
    this.hashes.push(text, origin)
    this.platforms.push(text, origin)
    this.failed.push(text, origin)
    this.exec.push(text, origin)
    this.vm.push(text, origin)
  }

  private pushInternalJson(line: string): void {
    const isResult = line.startsWith('@nix {"action":"result"')
    if (isResult && !this.vm.active && !INTERESTING.test(line)) return
    const isStart = line.startsWith('@nix {"action":"start"')
    if (isStart && !line.includes(`"type":${ActivityType.Build}`) && !line.includes(`"type":${ActivityType.CopyPath}`)) return
    const event = parseInternalJsonLine(line)
    if (!event) return
    switch (event.action) {
      case 'start': {
        const [path, from] = event.fields
        if (typeof path !== 'string') return
        if (event.type === ActivityType.Build) {
          if (this.activityDrv.size >= MAX_ACTIVITIES) this.activityDrv.delete(this.activityDrv.keys().next().value as number)
          this.activityDrv.set(event.id, path)
          this.noteBuilding(path)
        } else if (event.type === ActivityType.CopyPath && typeof from === 'string' && from !== '') {
          this.hashes.noteCopy(path, from)
        }
        return
      }
      case 'result': {
        if (event.type !== ResultType.BuildLogLine && event.type !== ResultType.PostBuildLogLine) return
        const drv = this.activityDrv.get(event.id)
        const origin: Origin = { from: 'builder', key: drv !== undefined ? drvName(drv) : `#${event.id}`, ...(drv !== undefined ? { drv } : {}) }
        for (const text of stripAnsi(String(event.fields[0] ?? '')).split('\n')) this.toRecognisers(text, origin)
        return
      }
      case 'msg':
        // Level 0 is an error. Live, only raw_msg proves Nix wrote it; a saved log takes any.
        if (event.level !== 0 || (this.trust === 'internal-json-only' && event.raw_msg === undefined)) return
        for (const text of stripAnsi(event.msg).split('\n')) this.dispatch(text)
        return
    }
  }

  private noteBuilding(drv: string): void {
    this.remember(drvName(drv), drv)
    this.vm.noteBuilding(drv)
  }

  private remember(name: string, drv: string): void {
    this.nameDrv.delete(name)
    this.nameDrv.set(name, drv)
    if (this.nameDrv.size > MAX_ACTIVITIES) this.nameDrv.delete(this.nameDrv.keys().next().value as string)
  }

  private drvOf(name: string): { drv?: string } {
    const drv = this.nameDrv.get(name)
    return drv !== undefined ? { drv } : {}
  }
}

/** Classifies a whole saved log (a string, or its lines). */
export function classifyLines(lines: string | Iterable<string>, options: LogClassifierOptions = {}): Findings {
  const classifier = new LogClassifier(options)
  for (const line of typeof lines === 'string' ? lines.split('\n') : lines) classifier.push(line)
  return classifier.finish()
}

/**
 * For the stages: classifies Nix's own error messages of a live run (BuildLog.errors: raw_msg
 * events, ANSI stripped, one string per message), optionally with the kept output tails of failed
 * builds (BuildLog.builds[drv].tail), which only ever corroborate what Nix said.
 */
export function classifyNixMessages(messages: Iterable<string>, builderTails?: ReadonlyMap<string, readonly string[]>): Findings {
  const classifier = new LogClassifier({ trust: 'plain-log' })
  for (const message of messages) for (const line of message.split('\n')) classifier.push(line)
  const confirmed = classifier.finish()
  if (!builderTails || builderTails.size === 0) return confirmed
  // Builder tails only add exec-format findings, and only for builds Nix reported as failed.
  const failed = new Set(confirmed.failedBuilds.map(f => f.derivation))
  const tails = new LogClassifier({ trust: 'plain-log' })
  for (const [drv, tail] of builderTails) if (failed.has(drv)) for (const line of tail) tails.pushBuilderLine(line, drv)
  const extra = tails.finish().execFormatErrors.filter(e => !confirmed.execFormatErrors.some(c => c.executable === e.executable))
  return { ...confirmed, execFormatErrors: [...confirmed.execFormatErrors, ...extra] }
}
