// The classifier's reading of `--log-format internal-json` events (`@nix {…}` lines). Nix writes
// its JSON with sorted keys, `@nix {"action":"<name>",…`, so telling the actions apart by a few
// characters keeps the common events (builder output, progress, start, stop) cheap and free of
// JSON.parse; any other event or layout takes the general path, parsed whole.
import type { TrustMode } from '../hashes/mismatch-parser.js'
import { ActivityType, ResultType, parseInternalJsonLine, stripAnsi } from '../nix/internal-json.js'
import { BoundedMap } from './bounded-map.js'
import {
  INTERESTING,
  RESULT_HEAD,
  activityId,
  builderTextEnd,
  mayMatter,
  nixLayoutAction,
  resultTextIsPlain,
  startEvent
} from './prefilter.js'
import type { HashErrorRecogniser } from './recognisers/hash-errors.js'
import { Origin, drvName } from './types.js'

/** What the events are read for: the classifier's recognisers and what it remembers of builds. */
export interface JsonEventSink {
  readonly trust: TrustMode
  readonly hashes: HashErrorRecogniser
  /** A VM test's driver output has shown up: every builder line is read. */
  vmActive(): boolean
  toRecognisers(text: string, origin: Origin): void
  /** A line of Nix's own message. */
  dispatch(line: string): void
  noteBuilding(drv: string): void
}

const MAX_ACTIVITIES = 1024
const BUILD_START_TAIL = `"type":${ActivityType.Build}}`
const COPY_START_TAIL = `"type":${ActivityType.CopyPath}}`
/** The MismatchParser's report body is at most 10 lines after its header (per activity). */
const PARSER_BODY_LINES = 11

export class JsonEvents {
  /** Activities whose builder output held "mismatch": lines left to hand the parser. */
  private readonly parserActivities = new BoundedMap<number, number>(MAX_ACTIVITIES)
  /** Activity id -> the derivation it builds (capped). */
  private readonly activityDrv = new BoundedMap<number, string>(MAX_ACTIVITIES)

  constructor(private readonly sink: JsonEventSink) {}

  push(line: string): void {
    const action = nixLayoutAction(line)
    if (action === 'result') {
      // Only builder output (101/107) is read, and mostly only its words count.
      const idle = !this.sink.vmActive() && this.parserActivities.size === 0
      if (idle && resultTextIsPlain(line)) return
      const end = builderTextEnd(line)
      if (end === -1) return
      const worth = mayMatter(line, RESULT_HEAD.length, end)
      if (!worth && idle) return
      this.feedParser(line, activityId(line, end), worth)
      if (!this.sink.vmActive() && !(worth && INTERESTING.test(line.slice(RESULT_HEAD.length, end)))) return
    } else if (action === 'stop' || action === 'progress') {
      return
    } else if (action === 'start') {
      const build = line.endsWith(BUILD_START_TAIL)
      if (!build && !line.endsWith(COPY_START_TAIL)) return
      const fast = startEvent(line)
      if (fast) return this.onStart(build ? ActivityType.Build : ActivityType.CopyPath, fast.id, fast.fields)
    } else if (!this.worthParsing(line)) {
      return
    }
    this.read(line)
  }

  /** Any other event or layout is rare: the parser reads it whole, as it always did. */
  private worthParsing(line: string): boolean {
    const isStart = line.startsWith('@nix {"action":"start"')
    if (!isStart) this.sink.hashes.pushLogLine(line)
    if (line.startsWith('@nix {"action":"result"') && !this.sink.vmActive() && !INTERESTING.test(line)) return false
    return !isStart || line.includes(`"type":${ActivityType.Build}`) || line.includes(`"type":${ActivityType.CopyPath}`)
  }

  private read(line: string): void {
    const event = parseInternalJsonLine(line)
    if (!event) return
    switch (event.action) {
      case 'start':
        return this.onStart(event.type, event.id, event.fields)
      case 'result': {
        if (event.type !== ResultType.BuildLogLine && event.type !== ResultType.PostBuildLogLine) return
        const drv = this.activityDrv.get(event.id)
        const origin: Origin = {
          from: 'builder',
          key: drv !== undefined ? drvName(drv) : `#${event.id}`,
          ...(drv !== undefined ? { drv } : {})
        }
        for (const text of stripAnsi(String(event.fields[0] ?? '')).split('\n')) this.sink.toRecognisers(text, origin)
        return
      }
      case 'msg':
        // Level 0 is an error. Live, only raw_msg proves Nix wrote it; a saved log takes any.
        if (event.level !== 0 || (this.sink.trust === 'internal-json-only' && event.raw_msg === undefined)) return
        for (const text of stripAnsi(event.msg).split('\n')) this.sink.dispatch(text)
        return
    }
  }

  private onStart(type: number, id: number, fields: readonly unknown[]): void {
    const [path, from] = fields
    if (typeof path !== 'string') return
    if (type === ActivityType.Build) {
      this.activityDrv.set(id, path)
      this.sink.noteBuilding(path)
    } else if (type === ActivityType.CopyPath && typeof from === 'string' && from !== '') {
      this.sink.hashes.noteCopy(path, from)
    }
  }

  /** Builder output for the parser: its words, or every line of an activity that may hold a report. */
  private feedParser(line: string, id: number, worth: boolean): void {
    const left = this.parserActivities.get(id)
    if (!worth && left === undefined) return
    this.sink.hashes.pushLogLine(line)
    if (worth && line.includes('mismatch')) {
      this.parserActivities.set(id, PARSER_BODY_LINES)
    } else if (left !== undefined) {
      if (left <= 1) this.parserActivities.delete(id)
      else this.parserActivities.set(id, left - 1)
    }
  }
}
