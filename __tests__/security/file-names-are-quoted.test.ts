// A repository file name is whatever a commit says (git ls-files -z): newlines, `::`, `##[`, `%`
// and terminal escapes included. Wherever nix-ci puts one (a log line, an annotation, the commit
// message, the PR body, a diff to apply) it is one line, quoted C-style as git quotes it when it is
// not plain, and an annotation's `file` is a plain path or left out.
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ActionReporter } from '../../src/report/action-reporter.js'
import { isPlainPath, quotedPath } from '../../src/report/quoted-path.js'
import { hashesSummary } from '../../src/stages/fix-hashes/hashes-report.js'
import type { FixHashesResult, HashFix } from '../../src/stages/fix-hashes/types.js'
import { commitMessage, diffComment, pullRequestBody } from '../../src/stages/pull-request/content.js'
import { useTempDirs } from '../support/cleanup.js'
import { git } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'
import { captureStdout, commandsSeenByRunner } from '../support/workflow-commands.js'

const tempDir = useTempDirs()
const HOSTILE = 'deps\n::error title=FORGED::x\n\x1b]0;FORGED\x07 ##[warning]FORGED %0A "q" \\ \u202e.nix'
const QUOTED = '"deps\\n::error title=FORGED::x\\n\\033]0;FORGED\\a \\043#[warning]FORGED %0A \\"q\\" \\\\ \\342\\200\\256.nix"'
const OLD = `sha256-${'A'.repeat(43)}=`
const NEW = `sha256-${'B'.repeat(43)}=`
const CTX = { owner: 'acme', repo: 'mast', serverUrl: 'https://github.com', flake: '.', package: 'default', systems: ['x86_64-linux'] }

const FIX: HashFix = {
  derivation: '/nix/store/0000000000000000000000000000000a-deps-1.0.drv',
  name: 'deps-1.0',
  file: HOSTILE,
  line: 2,
  column: 10,
  old: OLD,
  new: NEW,
  systems: ['x86_64-linux'],
  silent: false
}
const RESULT: FixHashesResult = {
  ok: false,
  failures: [],
  status: 'fixed',
  fixes: [FIX],
  problems: [],
  writtenFiles: [HOSTILE],
  rounds: 2,
  rechecked: [],
  nixVersion: '2.8.0'
}

/** C0 controls, DEL, C1 controls and the bidirectional overrides: none may reach a log or a page raw. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

const stdoutText = captureStdout()

describe('repository file names', () => {
  it('are printed as they are when plain, else quoted C-style on one line that starts no command', () => {
    for (const plain of ['flake.nix', 'nix/deps-1.0+x86_64.nix', 'pkgs/ünïcode/名前.nix']) {
      expect(isPlainPath(plain)).toBe(true)
      expect(quotedPath(plain)).toBe(plain)
    }
    for (const odd of ['a b.nix', 'x:y.nix', '::error::x', 'a%0A.nix', '#x.nix', 'a`b`.nix', 'a\tb']) expect(isPlainPath(odd)).toBe(false)
    expect(quotedPath(HOSTILE)).toBe(QUOTED)
    expect(quotedPath('a b.nix')).toBe('"a b.nix"')
    expect(quotedPath(QUOTED)).not.toMatch(RAW_CONTROL)
    expect(commandsSeenByRunner(`${quotedPath(HOSTILE)}:2: stale\n`)).toEqual([])
  })

  it('an annotation names only a plain file: any other is left out and quoted in the message', () => {
    const reporter = new ActionReporter()
    reporter.error('Stale hash', { title: 'Stale fixed-output hash', file: HOSTILE, startLine: 2 })
    reporter.warning('Plain', { file: 'nix/deps.nix', startLine: 3 })
    const commands = commandsSeenByRunner(stdoutText())
    expect(commands.map(c => [c.command, c.properties])).toEqual([
      ['error', 'title=Stale fixed-output hash'],
      ['warning', 'file=nix/deps.nix,line=3']
    ])
    // The runner's own escaping of a command's data (%25, %0D, %0A) undone, as the runner does.
    expect(commands[0].data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')).toBe(`${QUOTED}:2: Stale hash`)
  })

  it('the terminal reporter prefixes an annotation with the quoted file', () => {
    const reporter = recordingReporter()
    reporter.error('Stale hash', { file: HOSTILE, startLine: 2 })
    expect(reporter.text()).toBe(`error: ${QUOTED}:2: Stale hash\n`)
  })

  it('the commit message, the PR body and the summary hold the quoted name, with no raw control character', () => {
    const message = commitMessage([FIX], RESULT)
    expect(message.split('\n')).toContain(`${QUOTED}:2: deps-1.0`)
    expect(message).not.toMatch(RAW_CONTROL)
    const body = pullRequestBody(
      { fixes: [FIX], hashes: RESULT, base: 'main', baseSha: 'a'.repeat(40), branch: 'nix-ci/fix-hashes/main', defaultToken: false },
      CTX
    )
    expect(body).not.toMatch(RAW_CONTROL)
    expect(body).toContain('\\033]0;FORGED')
    const summary = hashesSummary(RESULT, false)
    expect(summary).not.toMatch(RAW_CONTROL)
    expect(summary).toContain('\\033]0;FORGED')
  })

  it('the diff nix-ci comments names the file as git does: git apply finds it and applies the fix', () => {
    const dir = tempDir()
    git(dir, 'init', '-q', '-b', 'main')
    writeFileSync(join(dir, HOSTILE), `{\n  hash = "${OLD}";\n}\n`)
    const comment = diffComment([{ fix: FIX, path: HOSTILE, oldLine: `  hash = "${OLD}";`, newLine: `  hash = "${NEW}";` }])
    const diff = /^```diff\n([\s\S]*)\n```$/m.exec(comment)![1] + '\n'
    expect(diff).not.toMatch(RAW_CONTROL)
    writeFileSync(join(dir, 'fix.diff'), diff.replace(/@@ -2 \+2 @@/, '@@ -2,1 +2,1 @@'))
    execFileSync('git', ['apply', '--unidiff-zero', 'fix.diff'], { cwd: dir })
    expect(execFileSync('cat', ['--', HOSTILE], { cwd: dir, encoding: 'utf8' })).toContain(NEW)
  })
})
