// action.yml is the action's contract: every input and output described, the defaults the code
// uses are the ones it documents, and the code sets no output it does not declare.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'
import { DEFAULTS } from '../src/inputs.js'
import { OUTPUTS } from '../src/outputs.js'
import { REPO_ROOT } from './support/fixtures.js'

interface ActionYml {
  inputs: Record<string, { description?: string; default?: string; required?: boolean }>
  outputs: Record<string, { description?: string }>
  runs: { using: string; main: string }
}
const action = load(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionYml

describe('action.yml', () => {
  it('describes every input and output', () => {
    for (const [name, input] of [...Object.entries(action.inputs), ...Object.entries(action.outputs)]) {
      expect([name, (input.description ?? '').length > 20]).toEqual([name, true])
    }
  })

  it('documents exactly the defaults the code applies', () => {
    const documented = Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, input.default ?? '']))
    // github-token defaults to the job's token in action.yml; the code has no token of its own.
    expect({ ...documented, 'github-token': '' }).toEqual(DEFAULTS)
  })

  it('declares every output the code may set, and no other', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUTS].sort())
  })

  it('runs on the Node .node-version names, which the bundle is built for (scripts/bundle.mjs)', () => {
    const major = readFileSync(join(REPO_ROOT, '.node-version'), 'utf8').trim().split('.')[0]
    expect(action.runs).toEqual({ using: `node${major}`, main: 'dist/index.js' })
  })
})
