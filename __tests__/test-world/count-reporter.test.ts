// scripts/test.sh's count: real jest, run on test files made here, through the count reporter.
// jest's own --json report dies on a failing test whose error is circular (seen on Debian 13),
// which turned the whole run into `tests: 0 passed, 0 failed`; these counts must survive it.
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { useTempDirs } from '../support/cleanup.js'
import { REPO_ROOT } from '../support/fixtures.js'

const tempDir = useTempDirs()

/** Runs jest in a folder holding these test files, with the count reporter; returns its lines. */
function countsOf(files: Record<string, string>, jestArgs: string[] = []): { lines: string[]; status: number | null; stderr: string } {
  const dir = tempDir('nix-ci-count-reporter-')
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(
    join(dir, 'jest.config.mjs'),
    `export default { testMatch: ['**/*.check.mjs'], testEnvironment: 'node', transform: {}, ` +
      `reporters: ['default', ${JSON.stringify(join(REPO_ROOT, 'scripts', 'jest-count-reporter.mjs'))}] }\n`
  )
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const counts = join(dir, 'counts')
  writeFileSync(counts, '')
  const run = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--json',
      '--outputFile',
      join(dir, 'jest.json'),
      '--cacheDirectory',
      join(dir, 'cache'),
      ...jestArgs
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH, NODE_OPTIONS: '--experimental-vm-modules --no-warnings', NIX_CI_TEST_COUNTS: counts },
      encoding: 'utf8'
    }
  )
  return { lines: readFileSync(counts, 'utf8').trim().split('\n'), status: run.status, stderr: run.stderr }
}

describe('the count reporter', () => {
  it('counts every test file as it ends, even when jest then dies on a circular error object', () => {
    const { lines, stderr } = countsOf({
      'a.check.mjs': `import { it, expect } from '@jest/globals'
it('passes', () => expect(1).toBe(1))
it('fails with a circular error', () => { const e = new Error('circular'); e.error = { e }; throw e })
it.skip('needs a thing (skipped: this machine lacks the thing)', () => {})
it.skip('skips for no stated reason', () => {})
`
    })
    // jest's own JSON report (asked for here) still dies after the run; the counts are written.
    expect(stderr).toContain('Converting circular structure to JSON')
    expect(lines).toEqual([
      'file 1 1 2 0 a.check.mjs',
      'skip a.check.mjs › needs a thing (skipped: this machine lacks the thing)',
      'unexplained a.check.mjs › skips for no stated reason',
      'end'
    ])
  })

  it('counts a file that cannot run as broken, a reason given by a describe, and the end of the run', () => {
    const { lines, status } = countsOf({
      'broken.check.mjs': 'this is not javascript (\n',
      'ok.check.mjs': `import { describe, it, expect } from '@jest/globals'
describe.skip('with KVM (skipped: needs /dev/kvm)', () => { it('boots', () => expect(1).toBe(1)) })
it('passes', () => expect(1).toBe(1))
`
    })
    expect(status).toBe(1)
    expect([...lines].sort()).toEqual(
      [
        'end',
        'file 0 0 0 1 broken.check.mjs',
        'file 1 0 1 0 ok.check.mjs',
        'skip ok.check.mjs › with KVM (skipped: needs /dev/kvm) › boots'
      ].sort()
    )
  })

  it('keeps the counts of the files that ended when jest itself is killed', () => {
    // In band, the larger file runs first (jest's order for files it has no timings of).
    const { lines, status } = countsOf(
      {
        'first.check.mjs': `import { it, expect } from '@jest/globals'\n${'// padding\n'.repeat(50)}it('passes', () => expect(1).toBe(1))\n`,
        'second.check.mjs': `import { it } from '@jest/globals'\nit('kills jest', () => process.kill(process.pid, 'SIGKILL'))\n`
      },
      ['--runInBand']
    )
    expect(status).toBeNull()
    expect(lines).toEqual(['file 1 0 0 0 first.check.mjs'])
  })
})
