// Tells the user about stale hashes: an error annotation at each hash's file:line (old -> new,
// derivation, systems verified), one per problem with what to do, a job-summary section and the
// `hash-mismatches` output.
import { markdownCode, markdownProse, markdownText } from '../../report/markdown.js'
import { Reporter, markdownTable } from '../../report/reporter.js'
import type { FixHashesResult } from './types.js'
import { pathAt } from '../../report/quoted-path.js'

export function hashMismatchesOutput(result: FixHashesResult): object[] {
  return result.fixes.map(f => ({ derivation: f.derivation, file: f.file, line: f.line, old: f.old, new: f.new, systems: f.systems }))
}

export function reportHashes(result: FixHashesResult, reporter: Reporter, written: boolean): void {
  for (const fix of result.fixes) {
    const how = fix.silent ? 'Stale (hidden by an output already in the store)' : 'Stale'
    reporter.error(
      `${how} hash for ${fix.name}: ${fix.old || '""'} -> ${fix.new}. Verified by building ${fix.systems.join(', ')}` +
        (written ? '; the fix is in the work tree.' : '; nothing was written (fix-hashes: report).'),
      { title: `Stale fixed-output hash: ${fix.name}`, file: fix.file, startLine: fix.line }
    )
  }
  for (const problem of result.problems) {
    const first = problem.candidates?.[0]
    reporter.error(problem.message, {
      title: `Stale hash not fixed${problem.derivation ? `: ${problem.derivation}` : ''} (${problem.kind})`,
      ...(first ? { file: first.file, startLine: first.line } : {})
    })
  }
  reporter.setOutput('hash-mismatches', JSON.stringify(hashMismatchesOutput(result)))
  reporter.addSummary(hashesSummary(result, written))
}

export function hashesSummary(result: FixHashesResult, written: boolean): string {
  if (result.status === 'clean') {
    const rechecked = result.rechecked.length ? ` (${result.rechecked.length} output(s) already in the store re-checked)` : ''
    return `### nix-ci fix-hashes: no stale fixed-output hash${rechecked}`
  }
  const lines = [`### nix-ci fix-hashes: ${result.fixes.length} fixed and verified, ${result.problems.length} not fixed`]
  if (result.fixes.length > 0) {
    lines.push(
      '',
      markdownTable(
        ['Derivation', 'Where', 'Old', 'New', 'Systems verified'],
        result.fixes.map(f => [
          markdownCode(f.name),
          markdownCode(pathAt(f.file, f.line)),
          markdownCode(f.old || '""'),
          markdownCode(f.new),
          markdownText(f.systems.join(', '))
        ])
      ),
      '',
      written
        ? 'The verified fix is in the work tree.'
        : 'Nothing was written (`fix-hashes: report`); run `nix-ci fix-hashes --write` to apply it locally.'
    )
  }
  for (const problem of result.problems) {
    lines.push(
      '',
      `- **${markdownText(problem.kind)}**${problem.derivation ? ` ${markdownCode(problem.derivation)}` : ''}: ${markdownProse(problem.message.split('\n')[0])}`
    )
  }
  lines.push('', `Nix ${markdownText(result.nixVersion)}; ${result.rounds} build round(s).`)
  return lines.join('\n')
}
