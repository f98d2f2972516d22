// Every regular expression that reads builder output or a log (the hash-report parser, Nix's own
// messages, `nix-ci explain`) runs in time linear in the line it reads. A builder controls its
// output, and a pasted log is anyone's text: one super-linear regex on a long line blocks the event
// loop for seconds or minutes (NAR_INPUT took 6.7 s on 90 KB), and cancellation with it.
//
// The regexes are found in the source itself (TypeScript's parser, every regex literal), so a new
// one is checked without anyone adding it here. Each runs against long lines made of its own
// literal fragments (the shapes that make a backtracking engine try again and again), at 20 KB and
// then 200 KB. A linear regex takes about a millisecond on 200 KB; a quadratic one takes seconds
// (the bounds leave room for a busy machine).
import { describe, expect, it } from '@jest/globals'
import { adversarialLines, regexLiterals, sourceFiles, timeOn } from '../support/adversarial-lines.js'
import { REPO_ROOT } from '../support/fixtures.js'

/** What reads builder output, Nix's messages and pasted logs: every regex of these is checked. */
const LOG_READERS = [
  'src/hashes',
  'src/explain',
  'src/nix/messages.ts',
  'src/nix/internal-json.ts',
  'src/nix/line-splitter.ts',
  'src/nix/vm-test-log.ts'
]

const SHORT = 20_000
const LONG = 200_000
const SHORT_BOUND_MS = 250
const LONG_BOUND_MS = 1_500
/** The lines slowest at 20 KB are tried again at 200 KB, where quadratic time shows plainly. */
const RETRIED = 3

const regexes = LOG_READERS.flatMap(path => sourceFiles(REPO_ROOT, path)).flatMap(file => regexLiterals(REPO_ROOT, file))

/** A line's time, tried again when over the bound: a pause of the machine (GC, the CI beside) passes, quadratic time stays. */
function steadyTime(regex: RegExp, line: string, bound: number): number {
  const ms = timeOn(regex, line)
  return ms < bound ? ms : Math.min(ms, timeOn(regex, line), timeOn(regex, line))
}

const shown = (ms: number, line: string): string =>
  `${Math.round(ms)} ms on ${JSON.stringify(line.slice(0, 60))}…${JSON.stringify(line.slice(-30))}`

describe('the regexes that read builder output and logs run in linear time', () => {
  it('finds the regexes of every log reader (the check below is not vacuous)', () => {
    expect(regexes.length).toBeGreaterThan(100)
    expect(regexes.some(r => r.where.includes('report-blocks.ts'))).toBe(true)
  })

  it.each(regexes.map(r => [r.where, r.regex] as const))('%s', (_where, regex) => {
    const timed: { ms: number; index: number }[] = []
    adversarialLines(regex, SHORT).forEach((line, index) => {
      const ms = steadyTime(regex, line, SHORT_BOUND_MS)
      // One line over the bound is enough: trying more would only take longer.
      if (ms >= SHORT_BOUND_MS) throw new Error(`${shown(ms, line)}: over ${SHORT_BOUND_MS} ms at ${SHORT} characters`)
      timed.push({ ms, index })
    })
    const long = adversarialLines(regex, LONG)
    for (const { index } of timed.sort((a, b) => b.ms - a.ms).slice(0, RETRIED)) {
      const ms = steadyTime(regex, long[index], LONG_BOUND_MS)
      expect({ line: shown(ms, long[index]), linear: ms < LONG_BOUND_MS }).toEqual({ line: shown(ms, long[index]), linear: true })
    }
  })
})
