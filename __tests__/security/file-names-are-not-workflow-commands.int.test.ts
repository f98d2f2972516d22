// Repository file names are chosen by whoever can open a pull request: git allows newlines, `::`,
// `%`, `##[` and terminal escapes in them, and nix-ci reads them from `git ls-files -z`. A stale hash
// in such a file is reported at `file:line` in the log, the annotations and the summary, in `report`
// mode too: the name must neither start a workflow command the runner acts on nor reach a terminal raw.
import { describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseInputs } from '../../src/inputs.js'
import { runPipeline } from '../../src/pipeline.js'
import { ActionReporter } from '../../src/report/action-reporter.js'
import type { Reporter } from '../../src/report/reporter.js'
import { useCleanup } from '../support/cleanup.js'
import { REPO_ROOT, createFixture, encodeSha256, sha256, testNix } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'
import { captureStdout, commandsSeenByRunner } from '../support/workflow-commands.js'

const track = useCleanup()
const X86 = ['x86_64-linux']

/** A new line that is a command, a legacy command, a terminal title escape and a `%`-escape. */
const HOSTILE_NAME = 'deps\n::error title=FORGED::FILE-NAME\n\x1b]0;FORGED-TITLE\x07 ##[warning]FORGED-LEGACY %0A.nix'

const stdoutText = captureStdout()

/** A Nix string holding `text` raw (Nix reads no \\u escapes; a control character may stand in a string). */
function rawNixString(text: string): string {
  return `"${text.replace(/[\\"]/g, c => `\\${c}`).replace(/\$\{/g, '\\${')}"`
}

/** A flake whose one FOD takes its (stale) hash from a tracked file with a hostile name. */
function hostileRepository() {
  const f = track(
    createFixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'deps', hash: { expression: `import (./. + ${rawNixString(`/${HOSTILE_NAME}`)})` } }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
  )
  writeFileSync(join(f.dir, HOSTILE_NAME), `"${encodeSha256(sha256(`stale ${f.salt}`), 'sri')}"\n`)
  f.commitAll('a file with a hostile name')
  return f
}

async function reportStaleHashes(dir: string, reporter: Reporter) {
  const inputs = parseInputs(name => ({ systems: 'x86_64-linux', 'fix-hashes': 'report', 'vm-test': 'off', cache: 'false' })[name])
  const result = await runPipeline(inputs, { nix: testNix(), reporter, cwd: dir, actionDir: REPO_ROOT })
  // The attack only means something if nix-ci found the stale hash in that file.
  expect(result.hashes?.fixes).toEqual([expect.objectContaining({ file: HOSTILE_NAME, line: 1 })])
  return result
}

/** Commands the runner acts on that came out of the file name (ours carry it only escaped). */
function forged(output: string) {
  return commandsSeenByRunner(output)
    .filter(c => c.properties.includes('FORGED') || /^(FILE-NAME|FORGED)/.test(c.data))
    .map(c => c.line)
}

describe('a repository file name in the log', () => {
  it('starts no workflow command in the action, and annotations name only plain files', async () => {
    const f = hostileRepository()
    const reporter = new ActionReporter()
    await reportStaleHashes(f.dir, reporter)
    reporter.flush()
    const out = stdoutText()
    expect(forged(out)).toEqual([])
    // An annotation's file is a plain path or left out: GitHub shows it as a file of the repository.
    const files = commandsSeenByRunner(out).flatMap(c => /(?:^|,)file=([^,]*)/.exec(c.properties)?.[1] ?? [])
    for (const file of files) expect(file).toMatch(/^[A-Za-z0-9._/+-]+$/)
    // The fix is still reported, at the name quoted C-style as git quotes it.
    expect(out).toContain('"deps\\n::error title=FORGED::FILE-NAME\\n\\033]0;FORGED-TITLE\\a ')
  })

  it('reaches the terminal quoted, with no raw escape, and the summary as code', async () => {
    const f = hostileRepository()
    const reporter = recordingReporter()
    await reportStaleHashes(f.dir, reporter)
    const text = reporter.text()
    expect(text).not.toContain('\x1b]0;FORGED')
    expect(forged(text)).toEqual([])
    expect(text).toMatch(/"deps\\n::error title=FORGED::FILE-NAME\\n\\033\]0;FORGED-TITLE\\a [^\n]*":1: /)
    // The job summary's Where cell: the quoted name, one line, in a code span.
    const summary = reporter.summary()
    expect(summary).not.toContain('\x1b')
    expect(summary).toContain('`"deps\\n::error title=FORGED::FILE-NAME\\n\\033]0;FORGED-TITLE\\a')
  })
})
