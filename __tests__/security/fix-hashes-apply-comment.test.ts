// fix-hashes-apply.yml is the privileged half of the fork pattern: it posts, with a write token, a
// comment whose diff quotes a line of the fork's file. That line is the fork's text: a bare \r is a
// Markdown line end (CommonMark), so "```" after it would close the diff's fence and the rest would
// render as Markdown in the bot's comment (links, mentions, images). Its comment step runs here as
// the workflow runs it (bash, jq, node), with `gh` answered by a stub serving the fork's files.
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { load } from 'js-yaml'
import type { HashFix } from '../../src/stages/fix-hashes/types.js'
import { diffComment } from '../../src/stages/pull-request/content.js'
import { useTempDirs } from '../support/cleanup.js'
import { REPO_ROOT } from '../support/fixtures.js'

const tempDir = useTempDirs()
const HEAD_SHA = 'a'.repeat(40)
const OLD = `sha256-${'A'.repeat(43)}=`
const NEW = `sha256-${'B'.repeat(43)}=`
const MARKER = '<!-- nix-ci:fix-hashes -->'
const FIX: HashFix = {
  derivation: '/nix/store/0000000000000000000000000000000a-deps-1.0.drv',
  name: 'deps-1.0',
  file: 'deps.nix',
  line: 2,
  column: 10,
  old: OLD,
  new: NEW,
  systems: ['x86_64-linux'],
  silent: false
}

/** The comment step of fix-hashes-apply.yml, as the runner would run it. */
function commentStep(): { run: string; env: Record<string, string> } {
  const workflow = load(readFileSync(join(REPO_ROOT, '.github/workflows/fix-hashes-apply.yml'), 'utf8')) as {
    jobs: { comment: { steps: { name?: string; run?: string; env?: Record<string, string> }[] } }
  }
  const step = workflow.jobs.comment.steps.find(s => s.run?.includes(MARKER) || s.run?.includes('fix-hashes-comment'))
  if (!step?.run) throw new Error('fix-hashes-apply.yml has no comment step')
  return { run: step.run, env: step.env ?? {} }
}

/** `gh` for the step: the pull request's head, the fork's files, no earlier comment; a posted body is saved. */
const GH_STUB = `#!/bin/bash
url="$2"
case "$url" in
  */pulls/*) echo "$STUB_HEAD_SHA" ;;
  */contents/*) f="\${url#*/contents/}"; f="\${f%%\\?*}"; base64 -w0 < "$STUB_FILES/$f"; echo ;;
  */comments) if [ "$3" = "-f" ]; then printf '%s' "\${4#body=}" > "$STUB_OUT"; fi ;;
  *) echo "unexpected gh call: $*" >&2; exit 1 ;;
esac
`

/** Runs the step with the fork's `files` and the artifact's `mismatches`; returns the posted comment. */
function postedComment(files: Record<string, string>, mismatches: unknown[]): string {
  const dir = tempDir('nix-ci-apply-')
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'gh'), GH_STUB)
  chmodSync(join(bin, 'gh'), 0o755)
  mkdirSync(join(dir, 'fork'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'fork', name), text)
  mkdirSync(join(dir, 'work', 'fix-hashes'), { recursive: true })
  writeFileSync(join(dir, 'work', 'fix-hashes', 'mismatches.json'), JSON.stringify(mismatches))
  writeFileSync(join(dir, 'work', 'fix-hashes', 'pr-number'), '7\n')
  const step = commentStep()
  // The step runs in a checkout of this repository's default branch (trusted code), not the fork's.
  execFileSync('bash', ['-e', '-c', `cp -r "${join(dir, 'work', 'fix-hashes')}" . && ${step.run}`], {
    cwd: tempCheckout(dir),
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      GH_TOKEN: 'x',
      REPO: 'acme/mast',
      HEAD_REPO: 'fork/mast',
      HEAD_SHA,
      STUB_HEAD_SHA: HEAD_SHA,
      STUB_FILES: join(dir, 'fork'),
      STUB_OUT: join(dir, 'comment.md')
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  return readFileSync(join(dir, 'comment.md'), 'utf8')
}

/** What the job's actions/checkout puts in the workspace: this repository's script, at its `path`. */
function tempCheckout(dir: string): string {
  const workflow = load(readFileSync(join(REPO_ROOT, '.github/workflows/fix-hashes-apply.yml'), 'utf8')) as {
    jobs: { comment: { steps: { uses?: string; with?: { path?: string; 'sparse-checkout'?: string } }[] } }
  }
  const checkout = workflow.jobs.comment.steps.find(s => s.uses?.startsWith('actions/checkout@'))
  const workspace = join(dir, 'workspace')
  mkdirSync(workspace)
  for (const file of (checkout?.with?.['sparse-checkout'] ?? '').split('\n').filter(Boolean)) {
    const to = join(workspace, checkout?.with?.path ?? '.', file)
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(join(REPO_ROOT, file), to)
  }
  return workspace
}

/**
 * The lines CommonMark renders as Markdown (outside fenced code blocks). Lines end at \n, \r\n or a
 * bare \r; a fence closes on a line of at least as many backticks as opened it, indented up to 3.
 */
function outsideFences(markdown: string): string[] {
  const kept: string[] = []
  let fence: string | undefined
  for (const line of markdown.split(/\r\n|\n|\r/)) {
    const opening = /^ {0,3}(`{3,})[^`]*$/.exec(line)
    const closing = /^ {0,3}(`{3,})[ \t]*$/.exec(line)
    if (fence === undefined && opening) fence = opening[1]
    else if (fence !== undefined && closing && closing[1].length >= fence.length) fence = undefined
    else if (fence === undefined) kept.push(line)
  }
  return kept
}

/** A line of the fork's file that closes a ``` fence after a bare \r and then renders a phishing link, a mention and an image. */
const BREAKOUT = `[Verify your fix](https://evil.example/login) @octocat ![x](https://evil.example/i.png)`

describe("fix-hashes-apply.yml's comment", () => {
  it('does not quote a fork line with a bare \\r: its backticks cannot close the diff, nothing renders as Markdown', () => {
    const line = `  hash = "${OLD}"; #\r\`\`\`\r${BREAKOUT}\r\`\`\`\`\`\``
    const comment = postedComment({ 'deps.nix': `{\n${line}\n}\n`, 'other.nix': `{\n  hash = "${OLD}";\n}\n` }, [
      { file: 'deps.nix', line: 2, old: OLD, new: NEW },
      { file: 'other.nix', line: 2, old: OLD, new: NEW }
    ])
    expect(comment.startsWith(MARKER)).toBe(true)
    const rendered = outsideFences(comment).join('\n')
    expect(rendered).not.toContain('evil.example')
    expect(rendered).not.toContain('@octocat')
    expect(comment).not.toMatch(/\r/)
    // The other fix is posted as a diff; the unquotable line is left to a warning in the log.
    expect(comment).toContain('+++ b/other.nix')
    expect(comment).not.toContain('deps.nix')
  })

  it('fences a fork line with backtick runs (no control character) in a longer fence: it stays in the diff', () => {
    const line = `  hash = "${OLD}"; # \`\`\`\`\` \`\`\` ${BREAKOUT}`
    const comment = postedComment({ 'deps.nix': `{\n${line}\n}\n` }, [{ file: 'deps.nix', line: 2, old: OLD, new: NEW }])
    expect(outsideFences(comment).join('\n')).not.toContain('evil.example')
    expect(comment).toContain('``````diff\n--- a/deps.nix')
    expect(comment).toContain(`+  hash = "${NEW}"; # `)
  })

  it('posts the diff of a plain line as before', () => {
    const comment = postedComment({ 'deps.nix': `{\n  hash = "${OLD}";\n}\n` }, [{ file: 'deps.nix', line: 2, old: OLD, new: NEW }])
    expect(comment).toBe(
      `${MARKER}\n**nix-ci: stale fixed-output hashes.** Verified by building this pull request; apply with \`git apply\`:\n\n` +
        '```diff\n--- a/deps.nix\n+++ b/deps.nix\n@@ -2 +2 @@\n' +
        `-  hash = "${OLD}";\n+  hash = "${NEW}";\n` +
        '```'
    )
  })

  it("is the action's own diff comment for the same fixes (the two stay in step)", async () => {
    const { fixHashesComment } = (await import(join(REPO_ROOT, 'scripts/fix-hashes-comment.mjs'))) as {
      fixHashesComment: (mismatches: unknown, readFile: (file: string) => string, warn?: (message: string) => void) => string
    }
    const files: Record<string, string> = { 'a.nix': `x\n  sha256 = "${OLD}"; # \`\`\`\`\n`, 'b/c.nix': `  hash = "${OLD}";\r\n` }
    const fix = (file: string, line: number): HashFix => ({ ...FIX, file, line })
    expect(
      fixHashesComment(
        [
          { file: 'a.nix', line: 2, old: OLD, new: NEW },
          { file: 'b/c.nix', line: 1, old: OLD, new: NEW }
        ],
        file => files[file]
      )
    ).toBe(
      diffComment([
        { fix: fix('a.nix', 2), path: 'a.nix', oldLine: `  sha256 = "${OLD}"; # \`\`\`\``, newLine: `  sha256 = "${NEW}"; # \`\`\`\`` },
        { fix: fix('b/c.nix', 1), path: 'b/c.nix', oldLine: `  hash = "${OLD}";`, newLine: `  hash = "${NEW}";` }
      ])
    )
    // Malformed entries, unknown hashes and names that are not plain are skipped.
    const skipped: string[] = []
    const none = fixHashesComment(
      [{ file: '../x.nix', old: OLD, new: NEW }, { file: 'a.nix', old: 'x', new: NEW }, null, { file: 'a b.nix', old: OLD, new: NEW }],
      () => '',
      message => skipped.push(message)
    )
    expect(none).toBe('')
    expect(skipped).toEqual(Array(4).fill('skipping a malformed entry'))
  })
})
