// The bundle as GitHub runs it: `node dist/index.js` with INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files; and the CLI bundle as a user runs it.
import { afterEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Fixture, REPO_ROOT, createFixture } from './support/fixtures.js'

const OFFLINE = 'sandbox = true\nsubstituters ='
const cleanups: (() => void)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.()
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-run-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function fixture(): Fixture {
  const f = createFixture({
    systems: ['x86_64-linux', 'aarch64-linux'],
    fods: [{ attr: 'mast-mix-deps', content: 'bandit 1.5.7' }],
    packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
  })
  cleanups.push(f.cleanup)
  return f
}

/** Parses the `name<<delimiter ... delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([\w-]+)<<(.+)$/.exec(lines[i])
    if (!match) continue
    const end = lines.indexOf(match[2], i + 1)
    outputs[match[1]] = lines.slice(i + 1, end).join('\n')
    i = end
  }
  return outputs
}

function runAction(inputs: Record<string, string>, workspace: string) {
  const dir = tempDir()
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const child = spawnSync('node', [join(REPO_ROOT, 'dist/index.js')], { env, encoding: 'utf8', timeout: 240_000 })
  return { ...child, outputs: readOutputs(outputFile), summary: readFileSync(summaryFile, 'utf8') }
}

describe('node dist/index.js (the GitHub contract)', () => {
  it('builds the flake in GITHUB_WORKSPACE and writes outputs, groups and a job summary', () => {
    const f = fixture()
    const run = runAction({ 'fix-hashes': 'off', 'vm-test': 'off', cache: 'false', 'extra-nix-config': OFFLINE }, f.dir)
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('::group::Build x86_64-linux, aarch64-linux (one nix invocation)')
    expect(run.stdout).toContain('::group::aarch64-linux (emulated): built')
    const outPaths = JSON.parse(run.outputs['out-paths'])
    expect(Object.keys(outPaths)).toEqual(['x86_64-linux', 'aarch64-linux'])
    expect(readFileSync(join(outPaths['aarch64-linux'][0], 'arch'), 'utf8').trim()).toBe('aarch64')
    expect(JSON.parse(run.outputs['build-results'])['aarch64-linux']).toMatchObject({ status: 'built', mode: 'emulated' })
    expect(run.outputs['vm-test-result']).toBe('skipped')
    expect(run.summary).toMatch(/\| `aarch64-linux` \| emulated \| ✅ built \|/)
  })

  it('says plainly that a requested stage is not built yet, and never pretends to run it', () => {
    const f = fixture()
    const run = runAction({ release: 'tag', 'extra-nix-config': OFFLINE }, f.dir)
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/::error title=release%3A not available yet::The 'release' stage \(release: tag\) is not built in this version of nix-ci, so it does not run. Set 'release: off' until it is./)
    expect(run.stdout).toMatch(/::notice title=vm-test%3A not available yet::/)
    expect(run.stdout).toMatch(/Set 'cache: false' to silence this/)
    expect(run.stdout).not.toContain('::group::Build')
    expect(run.outputs['tag']).toBeUndefined()
  })

  it('fails at once on a bad input, naming the input, the value and the fix', () => {
    const run = runAction({ systems: 'x86_64-linux amd64-linux' }, tempDir())
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/::error::Input 'systems' has the value 'amd64-linux', which is not allowed: unknown system; known systems are x86_64-linux, aarch64-linux/)
  })
})

describe('dist/cli.js (the terminal contract)', () => {
  it('runs the build stage on a flake and prints its outputs as JSON', () => {
    const f = fixture()
    const cli = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'build', '--flake', f.dir, '--systems', 'x86_64-linux', '--extra-nix-config', OFFLINE, '--json'], {
      encoding: 'utf8',
      timeout: 240_000
    })
    expect(cli.status).toBe(0)
    const outputs = JSON.parse(cli.stdout)
    expect(outputs['build-results']['x86_64-linux'].status).toBe('built')
    expect(cli.stderr).toContain('▶ x86_64-linux (native): built')
    expect(cli.stderr).toContain('| `x86_64-linux` | native | ✅ built |')
  })

  it('fix-hashes reports a stale hash as JSON and leaves the files alone; --write keeps the verified fix', () => {
    const f = createFixture({ systems: ['x86_64-linux'], fods: [{ attr: 'mast-mix-deps', content: 'cli', hash: 'stale' }], packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }] })
    cleanups.push(f.cleanup)
    const cli = (...args: string[]) =>
      spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'fix-hashes', '--flake', f.dir, '--systems', 'x86_64-linux', '--extra-nix-config', OFFLINE, ...args], { encoding: 'utf8', timeout: 240_000 })
    const report = cli('--json')
    expect(report.status).toBe(1)
    const [mismatch] = JSON.parse(report.stdout)['hash-mismatches']
    expect(mismatch).toMatchObject({ file: 'flake.nix', new: f.correctHash['mast-mix-deps'], systems: ['x86_64-linux'] })
    expect(f.git('status', '--porcelain')).toBe('')
    const write = cli('--write')
    expect(write.status).toBe(1)
    expect(readFileSync(join(f.dir, 'flake.nix'), 'utf8')).toContain(`outputHash = "${f.correctHash['mast-mix-deps']}"`)
    expect(f.git('diff', '--numstat')).toBe('1\t1\tflake.nix')
    expect(cli().status).toBe(0)
  })

  it('refuses stages that are not built yet and unknown options, with usage', () => {
    const notBuilt = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'release'], { encoding: 'utf8' })
    expect(notBuilt.status).toBe(2)
    expect(notBuilt.stderr).toMatch(/the 'release' stage is not built in this version/)
    const unknown = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), 'build', '--flak', '.'], { encoding: 'utf8' })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/Unknown option '--flak'[^]*Usage: nix-ci/)
  })
})
