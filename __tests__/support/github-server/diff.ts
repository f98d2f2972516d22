// Unified diffs as GitHub shows them in a pull request's files, good enough for a test server: one
// hunk per run of changed lines (common lines trimmed from both ends, then an LCS over the middle),
// with three lines of context. Review comments may only sit on lines these hunks show.

export interface Hunk {
  oldStart: number
  oldLines: number
  newStart: number
  newLines: number
  lines: string[]
}

const CONTEXT = 3

function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

type Op = { kind: ' ' | '-' | '+'; text: string; oldNo: number; newNo: number }

function operations(a: string[], b: string[]): Op[] {
  // LCS table; test files are small.
  const m = a.length
  const n = b.length
  const lcs: number[][] = Array.from({ length: m + 1 }, () => new Array<number>(n + 1).fill(0))
  for (let i = m - 1; i >= 0; i--)
    for (let j = n - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const ops: Op[] = []
  let i = 0
  let j = 0
  while (i < m || j < n) {
    if (i < m && j < n && a[i] === b[j]) ops.push({ kind: ' ', text: a[i++], oldNo: i, newNo: ++j })
    // Deletions before additions, as git prints a changed line.
    else if (i < m && (j === n || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ kind: '-', text: a[i++], oldNo: i, newNo: j })
    else ops.push({ kind: '+', text: b[j++], oldNo: i, newNo: j })
  }
  return ops
}

export function diffHunks(before: string, after: string): Hunk[] {
  const ops = operations(splitLines(before), splitLines(after))
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter(index => index >= 0)
  // Changes closer than twice the context share a hunk.
  const groups: [number, number][] = []
  for (const index of changed) {
    const last = groups[groups.length - 1]
    if (last && index - last[1] <= 2 * CONTEXT) last[1] = index
    else groups.push([index, index])
  }
  return groups.map(([first, last]) => {
    const from = Math.max(0, first - CONTEXT)
    const to = Math.min(ops.length - 1, last + CONTEXT)
    const slice = ops.slice(from, to + 1)
    const oldLines = slice.filter(op => op.kind !== '+').length
    const newLines = slice.filter(op => op.kind !== '-').length
    const firstOld = slice.find(op => op.kind !== '+')
    const firstNew = slice.find(op => op.kind !== '-')
    return {
      oldStart: firstOld ? firstOld.oldNo : slice[0].oldNo,
      oldLines,
      newStart: firstNew ? firstNew.newNo : slice[0].newNo,
      newLines,
      lines: slice.map(op => op.kind + op.text)
    }
  })
}

export function unifiedPatch(before: string, after: string): string {
  return diffHunks(before, after)
    .map(h => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n'))
    .join('\n')
}

/** Whether a line of the new file (RIGHT side) is shown by the diff. */
export function lineInDiff(before: string, after: string, line: number): boolean {
  return diffHunks(before, after).some(h => line >= h.newStart && line < h.newStart + h.newLines)
}

export function countChanges(before: string, after: string): { additions: number; deletions: number } {
  const hunks = diffHunks(before, after)
  const lines = hunks.flatMap(h => h.lines)
  return { additions: lines.filter(l => l.startsWith('+')).length, deletions: lines.filter(l => l.startsWith('-')).length }
}
