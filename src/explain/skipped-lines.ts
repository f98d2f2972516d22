// What the paste reader learns of the lines the classifier's fast path skips. The reader takes a
// `specified:`/`got:` pair without a header only under a line it saw that is no other report's
// header, so a skipped line still tells it one of three things, as the slow path would have:
// "a line went by that you did not see" (a line of text judged raw), "a line went by that is no
// header" (a line known to hold no "mismatch"), or nothing (a builder's line the recognisers
// would have read: they never hand a builder's line to the reader). Which of the last two a
// builder's line is depends on INTERESTING, the costly test the fast path exists to avoid; it only
// matters to the next line the reader reads, so the test waits until then (settle), and then only
// the latest lines are tested, newest first, until one decides.
import { INTERESTING } from './prefilter.js'

export interface SkipListener {
  /** A line it was not handed: its text (no header here), or undefined when it was judged unseen. */
  skipped(line?: string): void
}

const enum Told {
  Nothing,
  Unseen,
  Seen
}
/** A skipped line that holds no "mismatch": the reader reads nothing else of it. */
const SEEN = ''
/** Builder lines kept for settle(); an older one only counts when all of these were INTERESTING. */
const KEPT = 32

export class SkippedLines {
  /** What the reader was last told, while lines keep being skipped: each is told once per run. */
  private told = Told.Nothing
  /** Builder lines left unread since the reader was last told anything, the latest KEPT of them (a ring). */
  private count = 0
  private readonly kept = new Array<string>(KEPT).fill('')
  /** An unread line that fell out of the ring had no INTERESTING word. */
  private olderSeen = false

  constructor(private readonly reader: SkipListener) {}

  /** A line of text judged raw: the reader did not see it. */
  unseen(): void {
    this.count = 0
    this.olderSeen = false
    if (this.told !== Told.Unseen) this.reader.skipped()
    this.told = Told.Unseen
  }

  /** A line known to hold no "mismatch": the reader learns that a line that is no header went by. */
  seen(): void {
    this.count = 0
    this.olderSeen = false
    if (this.told !== Told.Seen) this.reader.skipped(SEEN)
    this.told = Told.Seen
  }

  /** A builder's line with none of a builder's words (so no "mismatch"); see settle(). */
  unread(line: string): void {
    const at = this.count++ % KEPT
    if (this.count > KEPT) this.olderSeen ||= !INTERESTING.test(this.kept[at])
    this.kept[at] = line
  }

  /** Before a line takes the slow path: the latest unread line the recognisers would have skipped told the reader "no header". */
  settle(): void {
    this.told = Told.Nothing
    if (this.count === 0) return
    let seen = this.olderSeen
    for (let n = this.count - 1; n >= Math.max(0, this.count - KEPT) && !seen; n--) seen = !INTERESTING.test(this.kept[n % KEPT])
    this.count = 0
    this.olderSeen = false
    if (seen) this.reader.skipped(SEEN)
  }

  /** At the end of the log: the lines kept are let go. */
  clear(): void {
    this.count = 0
    this.kept.fill('')
  }
}
