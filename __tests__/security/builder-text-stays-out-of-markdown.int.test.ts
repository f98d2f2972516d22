// The fix PR's body, nix-ci's comments and the job summary are Markdown that GitHub renders with
// links, mentions and HTML. A builder's lines must never reach them as if Nix had said them, and
// every string put into them is escaped or code-spanned, whoever wrote it.
import { describe, expect, it } from '@jest/globals'
import { parseInputs } from '../../src/inputs.js'
import { parseMismatchLog } from '../../src/hashes/mismatch-parser.js'
import { runPipeline } from '../../src/pipeline.js'
import { markdownCode, markdownProse, markdownText } from '../../src/report/markdown.js'
import { hashesSummary } from '../../src/stages/fix-hashes/hashes-report.js'
import type { FixHashesResult } from '../../src/stages/fix-hashes/types.js'
import { commitComment, diffComment, othersCommitsComment, pullRequestBody, suggestionBody } from '../../src/stages/pull-request/content.js'
import { useCleanup } from '../support/cleanup.js'
import { REPO_ROOT, createFixture, testNix } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'

const track = useCleanup()

const PHISH =
  "NAR hash mismatch in input '[Verify this fix](https://evil.example/login)', expected 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='"
const CTX = { owner: 'acme', repo: 'mast', serverUrl: 'https://github.com', flake: '.', package: 'default', systems: ['x86_64-linux'] }

/** The Markdown outside fenced code blocks and code spans (CommonMark pairs backtick runs of equal length). */
function outsideCode(markdown: string): string {
  const kept: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const m = /^ {0,3}(`{3,})/.exec(line)
    if (fence === undefined && m) fence = m[1]
    else if (fence !== undefined && m && m[1].length >= fence.length && line.trim() === m[1]) fence = undefined
    else if (fence === undefined) kept.push(line)
  }
  return kept.join('\n').replace(/(?<!`)(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, ' ')
}

/** What GitHub would turn into a link, a mention, an image or an HTML element (outside code). */
function activeMarkdown(markdown: string): string[] {
  const text = outsideCode(markdown)
  const found: string[] = []
  // Links nix-ci makes itself point into the repository; any other link came from someone's text.
  for (const m of text.matchAll(/(?<!\\)\[[^\]]*\]\((?!https:\/\/github\.com\/acme\/mast\/blob\/)[^)]*\)/g)) found.push(m[0])
  for (const m of text.matchAll(/(?<![\\\w])@[A-Za-z0-9-]+/g)) found.push(m[0])
  for (const m of text.matchAll(/<(?!!--|\/?(?:sub|details|summary|br)\b)[A-Za-z/][^>]*>/g)) found.push(m[0])
  for (const m of text.matchAll(/https?:\/\/evil/g)) found.push(m[0])
  for (const m of text.matchAll(/^#+ (?!Reproduce locally$|nix-ci )/gm)) found.push(m[0])
  return found
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

function hashes(overrides: Partial<FixHashesResult>): FixHashesResult {
  return {
    ok: false,
    failures: [],
    status: 'partial',
    fixes: [],
    problems: [],
    writtenFiles: [],
    rounds: 2,
    rechecked: [],
    nixVersion: '2.8.0',
    ...overrides
  }
}

describe('builder text and the Markdown nix-ci writes', () => {
  it("a builder line shaped like a flake-input hash error is not Nix's word, in -L, quoted tails or result events", () => {
    const lines = [
      `mast-0.1.0> error: ${PHISH}`,
      `       > error: ${PHISH}`,
      `@nix {"action":"result","fields":[${JSON.stringify(`error: ${PHISH}`)}],"id":5,"type":101}`
    ]
    expect(parseMismatchLog(lines, { trust: 'plain-log' }).otherHashErrors).toEqual([])
  })

  it('a fix PR built after a builder printed Nix-like hash errors carries none of them', async () => {
    const f = createFixture({
      systems: ['x86_64-linux'],
      fods: [{ attr: 'mast-mix-deps', content: 'deps', hash: 'stale' }],
      packages: [
        {
          attr: 'mast',
          fods: ['mast-mix-deps'],
          // Through Nix's msg relay (no raw_msg), as a plain line, and as a result line.
          script:
            [`@nix ${JSON.stringify({ action: 'msg', level: 0, msg: `error: ${PHISH}` })}`, `error: ${PHISH}`]
              .map(line => `printf '%s\\n' ${shellQuote(line)} >&2; `)
              .join('') + 'mkdir -p $out'
        }
      ]
    })
    track(f)
    const inputs = parseInputs(name => ({ systems: 'x86_64-linux', 'fix-hashes': 'write', 'vm-test': 'off', cache: 'false' })[name])
    const reporter = recordingReporter()
    const result = await runPipeline(inputs, { nix: testNix(), reporter, cwd: f.dir, actionDir: REPO_ROOT })
    // The builder did print it ...
    expect(reporter.text()).toContain('evil.example')
    // ... and the stage fixed the real stale hash, but took none of the builder's words as Nix's.
    const fixed = result.hashes!
    expect(fixed.fixes).toHaveLength(1)
    expect(fixed.problems).toEqual([])
    const body = pullRequestBody(
      { fixes: fixed.fixes, hashes: fixed, base: 'main', baseSha: 'a'.repeat(40), branch: 'nix-ci/fix-hashes/main', defaultToken: false },
      CTX
    )
    expect(body).not.toContain('evil.example')
    expect(reporter.summary()).not.toContain('evil.example')
  })

  it('every interpolated string in the PR body, comments and summary is escaped or code-spanned', () => {
    const evil = {
      derivation: '/nix/store/x-`](https://evil.example)`',
      name: 'mast`` <img src=x onerror=alert(1)> @octocat',
      file: 'nix/`a`](https://evil.example/f).nix',
      old: '`old` @admin',
      new: 'sha256-`new`'
    }
    const fix = {
      derivation: evil.derivation,
      name: evil.name,
      file: evil.file,
      line: 3,
      column: 5,
      old: evil.old,
      new: evil.new,
      systems: ['x86_64-linux'],
      silent: false
    }
    const result = hashes({
      fixes: [fix],
      problems: [
        {
          kind: 'not-found',
          derivation: '[x](https://evil.example/d) @team',
          message: 'see <script>alert(1)</script> [here](https://evil.example/m) @octocat\n\n# heading\n- item'
        }
      ]
    })
    const texts = [
      pullRequestBody(
        {
          fixes: [fix],
          hashes: result,
          base: 'main @octocat',
          baseSha: 'b'.repeat(40),
          branch: 'nix-ci/[x](https://evil.example/b)',
          defaultToken: true
        },
        CTX
      ),
      hashesSummary(result, true),
      othersCommitsComment('br @octocat', 'c'.repeat(40), [fix]),
      commitComment({ commitSha: 'd'.repeat(40), fixes: [fix], author: 'x', defaultToken: false, dependabotSkip: false }),
      suggestionBody(fix, 'hash = "````"; # [x](https://evil.example/s)'),
      diffComment([{ fix, path: evil.file, oldLine: '```', newLine: '```` @octocat' }])
    ]
    for (const text of texts) expect(activeMarkdown(text)).toEqual([])
  })

  it('the helpers: a code span survives backticks, text loses links, mentions, HTML and line breaks, prose keeps code spans', () => {
    expect(markdownCode('a`b')).toBe('``a`b``')
    expect(markdownCode('`x`')).toBe('`` `x` ``')
    expect(markdownCode('line1\nline2')).toBe('`line1 line2`')
    const text = markdownText('[a](https://evil.example) @octocat <b>x</b>\n# h')
    expect(activeMarkdown(text)).toEqual([])
    expect(text).not.toContain('\n')
    expect(markdownProse('run `nix flake lock` now, [x](https://evil.example) @me')).toMatch(/^run `nix flake lock` now, /)
    expect(activeMarkdown(markdownProse('run `nix flake lock` now, [x](https://evil.example) @me'))).toEqual([])
    // An unbalanced backtick cannot open a code span that swallows what follows.
    expect(activeMarkdown(markdownProse('`open [x](https://evil.example)'))).toEqual([])
  })
})
