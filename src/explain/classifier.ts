// One streaming classifier for any Nix log: every Nix version's wording, plain or internal-json,
// with or without -L, pasted or downloaded. push(line) per line, finish() once; memory is bounded
// (capped lists, capped maps, one open block per recogniser), whatever the log's size.
//
// Trust. 'plain-log' (saved logs, `nix-ci explain`): unprefixed lines and every msg event are read
// as Nix's; `name> ` lines, quoted `> ` tails and result events as builder output. A saved log
// cannot prove its author, and explain never acts on what it finds, so that is the right reading.
// 'internal-json-only' (live runs): only msg events carrying raw_msg are Nix's (a builder cannot
// forge one, see mismatch-parser.ts); plain lines are ignored; builder output only corroborates.
//
// Speed. Most lines take triage() and reach no recogniser: text without stage 1's characters
// (prefilter.ts), builders' lines without a builder's words, Nix's `building '…'`. It skips them as
// the slow path would: the paste reader learns what it would have (SkippedLines), a build whose BEAM
// command may yet crash is not skipped (idleFor), the parser's window after a "mismatch" is kept.
import type { TrustMode } from '../hashes/mismatch-parser.js'
import { stripAnsi } from '../nix/internal-json.js'
import type { NixLine } from '../nix/runner.js'
import { DrvNames } from './drv-names.js'
import { JsonEvents } from './json-events.js'
import { PasteNormaliser, timestampLength } from './normalise.js'
import { INTERESTING, announcedDrv, builderMayMatter, builderTextStart, isAnnouncement, isNixJson, mayMatter } from './prefilter.js'
import { BeamCrashRecogniser, mayNameBeamCommand } from './recognisers/beam-crashes.js'
import { ExecFormatRecogniser } from './recognisers/exec-format.js'
import { FailedBuildRecogniser } from './recognisers/failed-builds.js'
import { HashErrorRecogniser } from './recognisers/hash-errors.js'
import { PlatformRecogniser } from './recognisers/platform.js'
import { VmTestRecogniser } from './recognisers/vm-tests.js'
import { SkippedLines } from './skipped-lines.js'
import { Findings, Origin, drvName } from './types.js'

const enum Quiet {
  No,
  Yes,
  BuilderLines
}

export interface LogClassifierOptions {
  /** Default 'plain-log'. */
  trust?: TrustMode
}

/** `nix build -L` prefixes a builder's lines with its derivation's name. */
const BUILDER_PREFIX = /^([A-Za-z0-9+\-._?=]+)> ?/
/** A failed build's tail, quoted by Nix under "last N log lines:". */
const QUOTED = /^\s*> ?/
const BUILDING = /^building '([^']+\.drv)'/
const MAX_NAMES = 1024
/** The MismatchParser's report body is at most 10 lines after its header (per stream). */
const PARSER_BODY_LINES = 11

export class LogClassifier {
  private readonly trust: TrustMode
  private readonly normaliser = new PasteNormaliser()
  private readonly hashes: HashErrorRecogniser
  private readonly platforms = new PlatformRecogniser()
  private readonly failed = new FailedBuildRecogniser()
  private readonly exec = new ExecFormatRecogniser()
  private readonly vm = new VmTestRecogniser()
  private readonly beam = new BeamCrashRecogniser()
  /**
   * The MismatchParser only sees lines that pass the prefilter, plus every line while it may hold
   * an open report (after a "mismatch" line, until each of its streams has had its 10 body lines),
   * so it reads exactly what it would have read from the whole log.
   */
  private parserPlain = PARSER_BODY_LINES
  private parserPrefixed = PARSER_BODY_LINES
  /** Derivation name -> path (capped). */
  private readonly nameDrv = new DrvNames(MAX_NAMES)
  private lastBuilding?: string
  /** quietness(), while no line has taken the slow path since it was worked out. */
  private mode?: Quiet
  /** What the paste reader learns of the lines the fast path skips. */
  private readonly skips: SkippedLines
  private readonly json: JsonEvents

  constructor(options: LogClassifierOptions = {}) {
    const trust = (this.trust = options.trust ?? 'plain-log')
    const hashes = (this.hashes = new HashErrorRecogniser(trust))
    this.skips = new SkippedLines(hashes)
    this.json = new JsonEvents({
      trust,
      hashes,
      vmActive: () => this.vm.active,
      toRecognisers: (text, origin) => this.toRecognisers(text, origin),
      dispatch: line => this.dispatch(line),
      noteBuilding: drv => this.noteBuilding(drv)
    })
  }

  /** Feeds a NixRunner's lines (stderr carries the log). */
  readonly onLine = (line: NixLine): void => {
    if (line.stream === 'stderr') this.push(line.text)
  }

  /** One log line, without its newline. */
  push(raw: string): void {
    const start = raw.charCodeAt(0)
    // The common case, while nothing is open: a line of text triage() can judge without the
    // recognisers. It changes nothing quietness() reads, so whether nothing is open is worked out
    // again only after a line that took the slow path.
    if (start !== 64 && (this.mode ??= this.quietness()) !== Quiet.No && this.triage(raw, start, this.mode)) return
    this.mode = undefined
    this.skips.settle()
    if (start === 64 && isNixJson(raw) && raw.charCodeAt(raw.length - 1) !== 13 && this.normaliser.plain) return this.json.push(raw)
    const line = this.normaliser.normalise(raw)
    if (line.charCodeAt(0) === 64 && isNixJson(line)) return this.json.push(line)
    if (this.trust === 'internal-json-only') return
    const worth = mayMatter(line)
    if (worth || this.parserPlain < PARSER_BODY_LINES || this.parserPrefixed < PARSER_BODY_LINES) this.feedParserPlain(line)
    if (this.vm.active || this.hashes.wantsEveryLine || (worth && INTERESTING.test(line))) return this.dispatch(line)
    this.hashes.skipped(line)
    // Lines that took this slow path are few (they do not start with a letter: docker's "#9 RUN …"
    // steps, indented or quoted text): the BEAM recogniser learns the command a crash belongs to.
    this.beam.noteCommand(line, () => this.originOf(line))
  }

  /**
   * The fast path: true when the line is dealt with. Tested on the raw line, a line of text (a
   * letter first, after a job log's timestamp) with none of the prefilter's characters, which
   * normalising could not add: it only removes characters (timestamp, ANSI codes). Else, on the
   * line as normalise() would give it: a builder's line with none of a builder's words, or Nix's
   * announcement of a build.
   */
  private triage(raw: string, start: number, mode: Quiet): boolean {
    const from = start <= 57 ? timestampLength(raw) : 0
    const first = raw.charCodeAt(from)
    if (!((first >= 97 && first <= 122) || (first >= 65 && first <= 90)) || raw.charCodeAt(raw.length - 1) === 13) return false
    if (mode === Quiet.Yes && !mayMatter(raw, from)) {
      this.skips.unseen()
      return true
    }
    // Colour codes start after the letter at `from`, so `from` stays where the text starts.
    const line = raw.indexOf('\u001b', from) === -1 ? raw : stripAnsi(raw)
    if (first === 98 && mode === Quiet.Yes && isAnnouncement(line, from)) return this.announced(line, from)
    const text = builderTextStart(line, from)
    if (text !== -1) {
      // Builder output with a colon or a quote (a compiler's): read only for a builder's words.
      const keyEnd = line.charCodeAt(text - 1) === 62 ? text - 1 : text - 2
      if (!this.beam.idleFor(line, from, keyEnd)) return false
      if (mode === Quiet.BuilderLines && !mayMatter(line, from)) {
        // As the slow path reads it: shown to the paste reader, looked at for a BEAM command.
        if (line.includes('mismatch') || line.includes('instead') || mayNameBeamCommand(line)) return false
        this.skips.seen()
        return true
      }
      if (builderMayMatter(line, text)) return false
      this.skips.unread(line)
      return true
    }
    return false
  }

  /**
   * Nix's announcement of a build: only its derivation counts (see dispatch). The parser's
   * reports all start their line, so it reads nothing here, but "mismatch" opens its window.
   */
  private announced(line: string, from: number): boolean {
    const drv = announcedDrv(line, from)
    if (drv === undefined || line.includes('mismatch')) return false
    this.noteBuilding(drv)
    this.skips.seen()
    return true
  }

  /** A builder's output line known to belong to `drv` (e.g. a failed build's kept tail). */
  pushBuilderLine(text: string, drv: string): void {
    this.nameDrv.note(drv)
    this.hashes.pushLogLine(`${drvName(drv)}> ${text}`)
    this.toRecognisers(text, { from: 'builder', key: drvName(drv), drv })
  }

  /**
   * Yes: no recogniser or parser block open, and the paste's layout learnt: lines may be judged
   * raw. BuilderLines: the same, but the parser's stream of unprefixed lines may hold a report;
   * after a "mismatch" that lasts until 11 unprefixed lines went by, which in a -L log can be
   * thousands of builder lines later. Those take the slow path's way, without its cost (triage).
   */
  private quietness(): Quiet {
    if (
      this.trust !== 'plain-log' ||
      !this.normaliser.plain ||
      this.vm.active ||
      this.hashes.wantsEveryLine ||
      this.parserPrefixed < PARSER_BODY_LINES
    ) {
      return Quiet.No
    }
    return this.parserPlain < PARSER_BODY_LINES ? Quiet.BuilderLines : Quiet.Yes
  }

  private feedParserPlain(line: string): void {
    this.hashes.pushLogLine(line)
    if (line.includes('mismatch')) {
      this.parserPlain = 0
      this.parserPrefixed = 0
    } else if (BUILDER_PREFIX.test(line) || QUOTED.test(line)) {
      this.parserPrefixed++
    } else {
      this.parserPlain++
    }
  }

  finish(): Findings {
    this.skips.clear()
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
      vmTests: this.vm.finish(
        failedDrvs,
        name => this.nameDrv.get(name) ?? failedBuilds.find(f => drvName(f.derivation) === name)?.derivation
      ),
      failedBuilds,
      beamCrashes: this.beam.finish(),
      truncated:
        hash.truncated ||
        this.platforms.truncated ||
        this.failed.truncated ||
        this.exec.truncated ||
        this.vm.truncated ||
        this.beam.truncated
    }
  }

  private originOf(line: string): Origin {
    const prefixed = BUILDER_PREFIX.exec(line)
    return prefixed ? { from: 'builder', key: prefixed[1], ...this.drvOf(prefixed[1]) } : { from: 'nix' }
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
    if (building) {
      this.noteBuilding(building[1])
      // Nix's announcement ("building '…'…", "… on 'ssh://…'") is nothing else any recogniser
      // reads, and a big build prints thousands; only an open pasted report must see it end.
      if (!this.hashes.wantsEveryLine) return this.hashes.skipped(line)
    }
    this.toRecognisers(line, { from: 'nix' })
  }

  private toRecognisers(text: string, origin: Origin): void {
    this.hashes.push(text, origin)
    this.platforms.push(text, origin)
    this.failed.push(text, origin)
    this.exec.push(text, origin)
    this.vm.push(text, origin)
    this.beam.push(text, origin)
  }

  private noteBuilding(drv: string): void {
    // The same derivation announced again (a retry, a second start event) changes nothing. Paths
    // are compared from their ends first: those of one build's derivations often differ only there.
    const last = this.lastBuilding
    if (
      last !== undefined &&
      drv.length === last.length &&
      drv.charCodeAt(drv.length - 6) === last.charCodeAt(drv.length - 6) &&
      drv === last
    )
      return
    this.lastBuilding = drv
    this.nameDrv.note(drv)
    this.vm.noteBuilding(drv)
  }

  private drvOf(name: string): { drv?: string } {
    const drv = this.nameDrv.get(name)
    return drv !== undefined ? { drv } : {}
  }
}
