// Writes the fixes every system agreed on into the aggregate job's checkout: the same commit the
// matrix built, so each old hash is exactly where the matrix jobs found it. Anything else there
// means the checkout is not that commit, and nothing is written.
import { lstatSync, readFileSync } from 'node:fs'
import { insideRepo, writePreservingMode } from '../../hashes/patch.js'
import type { HashFix } from '../fix-hashes/types.js'

export class ApplyFixError extends Error {}

/** Returns the files written. */
export function applyAgreedFixes(repoDir: string, fixes: HashFix[]): string[] {
  const byFile = new Map<string, HashFix[]>()
  for (const fix of fixes) byFile.set(fix.file, [...(byFile.get(fix.file) ?? []), fix])
  const planned: { path: string; mode: number; bytes: Buffer }[] = []
  for (const [file, list] of byFile) {
    const path = insideRepo(repoDir, file)
    const lines = readFileSync(path, 'utf8').split('\n')
    // Right to left within a line, so earlier columns stay where they were.
    for (const fix of [...list].sort((a, b) => b.line - a.line || b.column - a.column)) {
      const line = lines[fix.line - 1]
      const at = fix.column - 1
      if (line === undefined || line.slice(at, at + fix.old.length) !== fix.old) {
        throw new ApplyFixError(
          `${file}:${fix.line}:${fix.column} does not hold ${fix.old || '""'} in this checkout: check out the commit the matrix jobs built (actions/checkout with the same ref).`
        )
      }
      lines[fix.line - 1] = line.slice(0, at) + fix.new + line.slice(at + fix.old.length)
    }
    planned.push({ path, mode: lstatSync(path).mode, bytes: Buffer.from(lines.join('\n'), 'utf8') })
  }
  for (const p of planned) writePreservingMode(p.path, p.bytes, p.mode)
  return [...byFile.keys()]
}
