// What happens to a log on its way to `nix-ci explain` must not change what it says: every real
// capture, damaged the ways pastes and downloads damage logs, classifies exactly as the original.
import { describe, expect, it } from '@jest/globals'
import { classifyLines } from '../../src/explain/classify.js'
import { toExplainJson } from '../../src/explain/json.js'
import { PasteNormaliser } from '../../src/explain/normalise.js'
import { allNixLogs, linesOf, nixLog } from './support.js'

const captures = allNixLogs().filter(f => f.startsWith('nix-2.8-'))
const damages: Record<string, (lines: string[]) => string[]> = {
  'a Markdown code block (4 spaces)': lines => ['```', ...lines.map(l => `    ${l}`), '```'],
  'CRLF line ends': lines => lines.map(l => `${l}\r`),
  'GitHub Actions job-log timestamps': lines => lines.map((l, i) => `2024-05-01T12:34:${String(i % 60).padStart(2, '0')}.1234567Z ${l}`),
  'nix-output-monitor’s frame': lines => ['┏━ 1 Errors:', ...lines.map(l => `┃ ${l}`), '┗━ ∑ ⏵ 0 │ ✔ 0 │ ✗ 1 │ ⏸ 0'],
  // A terminal's colours: plain lines only (internal-json already carries Nix's, JSON-escaped).
  'ANSI colour on Nix’s words': lines =>
    lines.map(l =>
      l.startsWith('@nix ')
        ? l
        : l.replace(/^error:/, '\u001b[31;1merror:\u001b[0m').replace(/'(\/nix\/store\/[^']+)'/g, "'\u001b[35;1m$1\u001b[0m'")
    ),
  'all of them at once': lines => lines.map((l, i) => `2024-05-01T12:34:${String(i % 60).padStart(2, '0')}.1Z     ┃ ${l}\r`)
}

describe('paste damage', () => {
  it('has real captures to damage', () => {
    expect(captures.length).toBeGreaterThan(25)
  })

  for (const [damage, apply] of Object.entries(damages)) {
    it(`classifies every real capture the same through ${damage}`, () => {
      for (const name of captures) {
        const lines = linesOf(nixLog(name))
        const clean = toExplainJson(classifyLines(lines))
        expect([name, toExplainJson(classifyLines(apply(lines)))]).toEqual([name, clean])
      }
    })
  }

  it('reads a -L capture like the plain one: `name> ` lines are builder output, Nix’s lines are not', () => {
    const plain = toExplainJson(classifyLines(nixLog('nix-2.8-fod.stderr.log')))
    expect(toExplainJson(classifyLines(nixLog('nix-2.8-fod-L.stderr.log')))).toEqual(plain)
    expect(plain.fodMismatches).toHaveLength(1)
  })

  it('learns the paste indentation from the first line and keeps the rest of the layout', () => {
    const n = new PasteNormaliser()
    expect(['    error: x', '             got:    y', '      > quoted', 'not indented'].map(l => n.normalise(l))).toEqual([
      'error: x',
      '         got:    y',
      '  > quoted',
      'not indented'
    ])
  })
})
