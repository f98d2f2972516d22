#!/usr/bin/env node
// Builds the comment .github/workflows/fix-hashes-apply.yml posts on a pull request: a `git apply`
// diff of each verified hash fix, with the line quoted from the pull request's file. It runs with a
// write token, and everything it reads is the pull request author's: the artifact's entries and the
// file's lines. So every entry is checked (a plain file name, hashes for hashes), a line holding a
// control character is not quoted (a bare \r is a Markdown line end, and would end the diff's fence),
// and the fence is longer than any backtick run in the diff, so no line of it can close the block.
// Kept in step with diffComment in src/stages/pull-request/content.ts (the same comment, posted by
// the action itself when it may); __tests__/security/fix-hashes-apply-comment.test.ts runs both.
//
// Usage: node fix-hashes-comment.mjs MISMATCHES_JSON HEAD_REPO HEAD_SHA
// Prints the comment's Markdown, or nothing when there is nothing to post; warnings go to stderr.
import { Buffer } from 'node:buffer'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/** Starts nix-ci's fix comments (FIX_MARKER in src/stages/pull-request/content.ts). */
export const FIX_MARKER = '<!-- nix-ci:fix-hashes -->'
const HASH = /^(sha256-[A-Za-z0-9+/]{43}=|sha256:[0-9a-z]{52}|[0-9a-df-np-sv-z]{52}|[0-9a-f]{64})$/
const FILE = /^[A-Za-z0-9._/-]{1,200}$/
/** At most this many fixes per comment: the artifact is untrusted, and each costs an API call. */
const MAX_FIXES = 20
/** Controls (C0 but tab, DEL, C1), line and paragraph separators, bidirectional overrides. */
// eslint-disable-next-line no-control-regex
const UNQUOTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

/**
 * The comment for `mismatches` (the artifact's parsed JSON); `readFile(file)` gives the pull
 * request's text of a checked file name. Returns '' when no entry can be posted.
 */
export function fixHashesComment(mismatches, readFile, warn = () => {}) {
  const hunks = []
  for (const entry of Array.isArray(mismatches) ? mismatches.slice(0, MAX_FIXES) : []) {
    const { file, old, new: next } = entry !== null && typeof entry === 'object' ? entry : {}
    const wellFormed =
      typeof file === 'string' && FILE.test(file) && !file.includes('..') && !file.startsWith('/') && isHash(old) && isHash(next)
    if (!wellFormed) {
      warn('skipping a malformed entry')
      continue
    }
    const lines = readFile(file).split('\n')
    const index = lines.findIndex(line => line.includes(old))
    if (index === -1) {
      warn(`${old} not found in ${file}`)
      continue
    }
    const text = lines[index].replace(/\r$/, '') // a CRLF file's line end
    if (UNQUOTABLE.test(text)) {
      warn(`line ${index + 1} of ${file} holds a control character, so it is not quoted: replace ${old} with ${next} there by hand`)
      continue
    }
    hunks.push(`--- a/${file}\n+++ b/${file}\n@@ -${index + 1} +${index + 1} @@\n-${text}\n+${text.split(old).join(next)}`)
  }
  if (hunks.length === 0) return ''
  const diff = hunks.join('\n')
  const fence = '`'.repeat(Math.max(3, ...(diff.match(/`+/g) ?? []).map(run => run.length + 1)))
  return (
    `${FIX_MARKER}\n**nix-ci: stale fixed-output hashes.** Verified by building this pull request; apply with \`git apply\`:\n\n` +
    `${fence}diff\n${diff}\n${fence}`
  )
}

function isHash(value) {
  return typeof value === 'string' && HASH.test(value)
}

/** A file of the pull request's head commit, through the contents API (the code is never checked out). */
function readThroughApi(headRepo, headSha) {
  return file => {
    const base64 = execFileSync('gh', ['api', `repos/${headRepo}/contents/${file}?ref=${headSha}`, '--jq', '.content'], {
      encoding: 'utf8'
    })
    return Buffer.from(base64, 'base64').toString('utf8')
  }
}

function main([mismatchesFile, headRepo, headSha]) {
  if (!mismatchesFile || !/^[\w.-]+\/[\w.-]+$/.test(headRepo ?? '') || !/^[0-9a-f]{40}$/.test(headSha ?? '')) {
    console.error('usage: node fix-hashes-comment.mjs MISMATCHES_JSON OWNER/REPO HEAD_SHA (40 hex digits)')
    process.exit(2)
  }
  let mismatches
  try {
    mismatches = JSON.parse(readFileSync(mismatchesFile, 'utf8'))
  } catch {
    console.error(`::error::${mismatchesFile} is not JSON: nothing posted`)
    process.exit(1)
  }
  const warn = message => console.error(`::warning::${message}`)
  process.stdout.write(fixHashesComment(mismatches, readThroughApi(headRepo, headSha), warn))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2))
