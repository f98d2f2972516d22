// What the fix says to people: the PR title and body, the commit message, and nix-ci's comments.
// Pure functions of the fixes and the run, with nothing that changes between reruns (no run ids,
// no times), so a rerun with the same fix leaves the PR exactly as it was. Every string in the
// Markdown goes through report/markdown.ts: names, paths and messages are data, never Markdown.
import { markdownCode, markdownCodeBlock, markdownFileLink, markdownProse, markdownText } from '../../report/markdown.js'
import { markdownTable } from '../../report/reporter.js'
import type { FixHashesResult, HashFix } from '../fix-hashes/types.js'
import { pathAt, quotedPath } from '../../report/quoted-path.js'

/** Starts the PR body and nix-ci's comments with the fix (shared with fix-hashes-apply.yml). */
export const FIX_MARKER = '<!-- nix-ci:fix-hashes -->'
export const HUMAN_COMMITS_MARKER = '<!-- nix-ci:fix-hashes:others-commits -->'
export const COMMIT_MARKER = '<!-- nix-ci:fix-hashes:commit -->'
export const CLOSED_MARKER = '<!-- nix-ci:fix-hashes:closed -->'

export interface ContentContext {
  owner: string
  repo: string
  serverUrl: string
  flake: string
  package: string
  systems: string[]
}

function names(fixes: HashFix[]): string[] {
  return [...new Set(fixes.map(f => f.name))]
}

/** The fixed derivations' names as code, for Markdown. */
function codeNames(fixes: HashFix[]): string {
  return names(fixes).map(markdownCode).join(', ')
}

/** "Fix stale Nix hash: a" / "Fix stale Nix hashes: a, b and c" / "…: a, b, c and 2 more". */
export function fixTitle(fixes: HashFix[]): string {
  const all = names(fixes)
  const shown = all.length > 4 ? [...all.slice(0, 3), `${all.length - 3} more`] : all
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`
  return `Fix stale Nix ${all.length === 1 ? 'hash' : 'hashes'}: ${list}`
}

export function commitMessage(fixes: HashFix[], hashes: FixHashesResult, options: { dependabotSkip?: boolean } = {}): string {
  const lines = [fixTitle(fixes), '']
  for (const f of fixes)
    lines.push(`${pathAt(f.file, f.line)}: ${f.name}`, `  ${f.old || '""'} -> ${f.new}`, `  verified on ${f.systems.join(', ')}`)
  lines.push('', `Verified by nix-ci by building every system with Nix ${hashes.nixVersion}.`)
  // Dependabot keeps rebasing (and force-pushing over) a PR only if extra commits carry this.
  if (options.dependabotSkip) lines.push('', '[dependabot skip]')
  return lines.join('\n')
}

function flakeAttr(ctx: ContentContext, system: string): string {
  return `${ctx.flake}#packages.${system}.${ctx.package}`
}

function reproduceCommand(ctx: ContentContext): string {
  const args = ['nix-ci fix-hashes --write']
  if (ctx.flake !== '.') args.push(`--flake ${ctx.flake}`)
  if (ctx.package !== 'default') args.push(`--package ${ctx.package}`)
  args.push(`--systems "${ctx.systems.join(' ')}"`)
  return args.join(' ')
}

function fixTable(fixes: HashFix[], ctx: ContentContext, commitSha: string): string {
  return markdownTable(
    ['Derivation', 'Where', 'Old → new', 'Systems verified'],
    fixes.map(f => [
      `${markdownCode(f.name)}${f.silent ? ' (was hidden by an output already in the store)' : ''}`,
      markdownFileLink(
        pathAt(f.file, f.line),
        `${ctx.serverUrl}/${encodeURIComponent(ctx.owner)}/${encodeURIComponent(ctx.repo)}/blob/${encodeURIComponent(commitSha)}`,
        f.file,
        f.line
      ),
      `${markdownCode(f.old || '""')} → ${markdownCode(f.new)}`,
      markdownText(f.systems.join(', '))
    ])
  )
}

export const DEFAULT_TOKEN_NOTE =
  '> [!NOTE]\n' +
  "> This was pushed with the workflow's default `GITHUB_TOKEN`, and GitHub starts no workflow runs for pushes and pull requests made " +
  'with it, so checks will not run on it by themselves. To have them run: give nix-ci a GitHub App token or a fine-grained personal ' +
  'access token (contents: write, pull requests: write) through its `github-token` input; or close and reopen this pull request.'

export interface BodyInput {
  fixes: HashFix[]
  hashes: FixHashesResult
  base: string
  baseSha: string
  branch: string
  defaultToken: boolean
}

export function pullRequestBody(input: BodyInput, ctx: ContentContext): string {
  const { fixes, hashes } = input
  const count = fixes.length === 1 ? 'a fixed-output hash' : `${fixes.length} fixed-output hashes`
  const parts = [
    FIX_MARKER,
    `nix-ci found ${count} on ${markdownCode(input.base)} that no longer match${fixes.length === 1 ? 'es' : ''} what Nix builds, ` +
      `fixed ${fixes.length === 1 ? 'it' : 'them'}, and verified the fix by building every system again.`,
    fixTable(fixes, ctx, input.baseSha),
    `Built from ${markdownCode(input.baseSha.slice(0, 12))} with Nix ${markdownText(hashes.nixVersion)}.`
  ]
  if (hashes.problems.length > 0) {
    parts.push(
      '**Not fixed here** (see the workflow run for details):\n' +
        hashes.problems
          .map(
            p =>
              `- ${markdownText(p.kind)}${p.derivation ? ` ${markdownCode(p.derivation)}` : ''}: ${markdownProse(p.message.split('\n')[0])}`
          )
          .join('\n')
    )
  }
  const system = ctx.systems[0] ?? 'x86_64-linux'
  parts.push(
    '### Reproduce locally',
    markdownCodeBlock(
      [
        `# fails with "hash mismatch in fixed-output derivation" on ${input.base.replace(/[\r\n]/g, ' ')}:`,
        `nix build ${flakeAttr(ctx, system)}`,
        '# finds the stale hashes, fixes them in place and verifies by building again:',
        reproduceCommand(ctx)
      ],
      'sh'
    )
  )
  if (input.defaultToken) parts.push(DEFAULT_TOKEN_NOTE)
  parts.push(
    `<sub>nix-ci keeps this pull request up to date from ${markdownCode(input.base)} and closes it once ${markdownCode(input.base)} needs no fix. ` +
      `If anyone else pushes to ${markdownCode(input.branch)}, nix-ci leaves the branch alone.</sub>`
  )
  return parts.join('\n\n')
}

export function othersCommitsComment(branch: string, headSha: string, fixes: HashFix[]): string {
  return [
    HUMAN_COMMITS_MARKER,
    `nix-ci has a new verified fix (${codeNames(fixes)}), but ${markdownCode(branch)} now holds commit ${markdownCode(headSha.slice(0, 12))}, which nix-ci did not make, ` +
      'so it has not touched the branch: nothing of yours is overwritten.',
    `To let nix-ci take the branch over again, delete ${markdownCode(branch)} (your commits stay reachable from this pull request) or close this pull request and delete the branch; the next run rebuilds it. ` +
      "Or apply the hash fix yourself: see the workflow run's annotations for each file:line, old and new hash."
  ].join('\n\n')
}

export function closedComment(base: string, baseSha: string, branchDeleted: boolean): string {
  return [
    CLOSED_MARKER,
    `Every fixed-output hash on ${markdownCode(base)} is correct as of ${markdownCode(baseSha.slice(0, 12))} (nix-ci built every system), so this fix is no longer needed: closing.` +
      (branchDeleted ? " The branch held only nix-ci's commit and is deleted." : '')
  ].join('\n\n')
}

export function othersCommitsKeptOpenComment(base: string, baseSha: string, branch: string): string {
  return [
    CLOSED_MARKER,
    `Every fixed-output hash on ${markdownCode(base)} is correct as of ${markdownCode(baseSha.slice(0, 12))}, so nix-ci's fix is no longer needed. ` +
      `${markdownCode(branch)} also holds commits nix-ci did not make, so nix-ci leaves this pull request and its branch to you.`
  ].join('\n\n')
}

export function commitComment(input: {
  commitSha: string
  fixes: HashFix[]
  author: string
  defaultToken: boolean
  dependabotSkip: boolean
}): string {
  const parts = [
    COMMIT_MARKER,
    `nix-ci pushed ${markdownCode(input.commitSha.slice(0, 12))} onto this pull request: it fixes ${codeNames(input.fixes)}, whose fixed-output hash no longer matched after this change, ` +
      'verified by building every system.'
  ]
  if (input.dependabotSkip) {
    parts.push(
      'Its message carries `[dependabot skip]` so Dependabot keeps rebasing this pull request: a rebase drops the fix commit, and the next nix-ci run adds it back, verified again.'
    )
  } else if (/renovate/i.test(input.author)) {
    parts.push(
      "Renovate stops updating a branch that has commits by other authors. To keep it rebasing, add this commit's author to `gitIgnoredAuthors` in the Renovate config; the next nix-ci run re-adds the fix after a rebase."
    )
  }
  if (input.defaultToken) parts.push(DEFAULT_TOKEN_NOTE)
  return parts.join('\n\n')
}

export function suggestionBody(fix: HashFix, newLine: string): string {
  return `${FIX_MARKER}\nStale fixed-output hash of ${markdownCode(fix.name)}: nix-ci verified ${markdownCode(fix.new)} by building ${markdownText(fix.systems.join(', '))}.\n\n${markdownCodeBlock(newLine, 'suggestion')}`
}

export function suggestionReviewBody(count: number): string {
  return `${FIX_MARKER}\nnix-ci: ${count === 1 ? 'a fixed-output hash is' : `${count} fixed-output hashes are`} stale after this change. Each suggestion below is verified by building every system: apply ${count === 1 ? 'it' : 'them'} with "Commit suggestion".`
}

/** For fixes on lines the PR's diff does not show (review comments cannot sit there). */
export function diffComment(entries: { fix: HashFix; path: string; oldLine: string; newLine: string }[]): string {
  const body = entries
    // git's own header form: a path that is not plain is C-quoted, prefix and all (git apply reads it).
    .map(
      e =>
        `--- ${quotedPath(`a/${e.path}`)}\n+++ ${quotedPath(`b/${e.path}`)}\n@@ -${e.fix.line} +${e.fix.line} @@\n-${e.oldLine}\n+${e.newLine}`
    )
    .join('\n')
  return `${FIX_MARKER}\n**nix-ci: stale fixed-output hashes.** Verified by building this pull request; apply with \`git apply\`:\n\n${markdownCodeBlock(body, 'diff')}`
}
