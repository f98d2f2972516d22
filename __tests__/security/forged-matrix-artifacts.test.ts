// The aggregate job reads artifacts other jobs uploaded, and any step holding ACTIONS_RUNTIME_TOKEN
// can upload one first. Each artifact here is forged, handed to the real aggregate stage as the
// artifact service would, against a real git checkout: none may write anything but a hash in place
// of the hash it names, count for another commit, or issue a workflow command.
import { describe, expect, it, jest } from '@jest/globals'
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ActionReporter } from '../../src/report/action-reporter.js'
import { runAggregateStage } from '../../src/stages/aggregate/aggregate-stage.js'
import { RESULT_FORMAT, readSystemResult, systemResultOf, type SystemResultFile } from '../../src/stages/aggregate/system-result.js'
import type { BuildStageResult } from '../../src/stages/build/types.js'
import type { HashFix } from '../../src/stages/fix-hashes/types.js'
import { useCleanup, useTempDirs } from '../support/cleanup.js'
import { createRepo, digest } from '../support/hash-fixtures.js'
import { recordingReporter } from '../support/reporting.js'
import { commandsSeenByRunner } from '../support/workflow-commands.js'

const track = useCleanup()
const tempDir = useTempDirs()
const BOTH = ['x86_64-linux', 'aarch64-linux']
const COMMIT = 'c0ffee'.padEnd(40, '0')
const sri = (label: string) => `sha256-${digest(label).toString('base64')}`
const OLD = sri('old')
const NEW = sri('new')

function result(system: string, fixes: HashFix[], overrides: Partial<SystemResultFile> = {}): SystemResultFile {
  return {
    format: RESULT_FORMAT,
    system,
    commit: COMMIT,
    nixVersion: '2.8.0',
    build: { status: 'built', mode: 'native', builtOn: null, outPaths: [], durationMs: 1, closureSize: 1, error: null },
    fixedOutputs: ['dep-1.0'],
    hashes: { status: fixes.length ? 'fixed' : 'clean', fixes, problems: [] },
    ...overrides
  }
}

function fix(over: Partial<HashFix>): HashFix {
  return {
    derivation: '/nix/store/x-dep-1.0.drv',
    name: 'dep-1.0',
    file: 'flake.nix',
    line: 2,
    column: 11,
    old: OLD,
    new: NEW,
    systems: [],
    silent: false,
    ...over
  }
}

/** The aggregate stage on these artifacts (one per system, as given), writing into `repo`. */
async function aggregate(repo: string | undefined, artifacts: (system: string) => object, reporter = recordingReporter()) {
  const dir = tempDir('nix-ci-forged-')
  const outcome = await runAggregateStage({
    systems: BOTH,
    download: async systems =>
      systems.map(system => {
        const file = join(dir, `${system}.json`)
        writeFileSync(file, JSON.stringify(artifacts(system)))
        return { system, file }
      }),
    reporter,
    writeFixesTo: repo,
    commit: COMMIT
  }).catch((error: unknown) => error as Error)
  return { outcome, reporter }
}

const FLAKE = `{\n  hash = "${OLD}";\n  url = "https://example.org/dep.tar.gz";\n}\n`

describe('a forged hash fix', () => {
  it('whose old and new are not hashes (a changed URL) is refused, and nothing is written', async () => {
    const r = track(createRepo({ 'flake.nix': FLAKE }))
    const forged = fix({ line: 3, column: 10, old: 'https://example.org/dep.tar.gz', new: 'https://evil.example/dep.tar.gz' })
    const { outcome } = await aggregate(r.dir, system => result(system, [forged]))
    expect(readFileSync(join(r.dir, 'flake.nix'), 'utf8')).toBe(FLAKE)
    expect(outcome).not.toBeInstanceOf(Error)
    if (outcome instanceof Error) return
    expect(outcome.hashes.fixes).toEqual([])
    expect(outcome.decision.systems.map(s => s.state)).toEqual(['missing', 'missing'])
    expect(outcome.failures.join('\n')).toMatch(/old and new must be hashes of one algorithm/)
  })

  it('whose old and new are hashes of two algorithms is refused', async () => {
    const r = track(createRepo({ 'flake.nix': FLAKE }))
    const forged = fix({ new: `sha512-${Buffer.alloc(64, 7).toString('base64')}` })
    const { outcome } = await aggregate(r.dir, system => result(system, [forged]))
    expect(readFileSync(join(r.dir, 'flake.nix'), 'utf8')).toBe(FLAKE)
    expect((outcome as { failures: string[] }).failures.join('\n')).toMatch(/old and new must be hashes of one algorithm/)
  })

  it('whose old is not where the locator finds a hash (inside a URL) is refused, and nothing is written', async () => {
    const inUrl = `{\n  hash = "${OLD}";\n  url = "https://example.org/${OLD}.tar.gz";\n}\n`
    const r = track(createRepo({ 'flake.nix': inUrl }))
    const column = inUrl.split('\n')[2].indexOf(OLD) + 1
    const forged = fix({ line: 3, column })
    const { outcome } = await aggregate(r.dir, system => result(system, [forged]))
    expect(readFileSync(join(r.dir, 'flake.nix'), 'utf8')).toBe(inUrl)
    expect(outcome).toBeInstanceOf(Error)
    expect((outcome as Error).message).toMatch(new RegExp(`flake\\.nix:3:${column} does not hold the hash .* in this checkout`))
  })

  it('into a tracked symlink is refused: the file it points to is neither read into the checkout nor written', async () => {
    const outside = join(tempDir('nix-ci-outside-'), 'secret.nix')
    const secret = `{\n  hash = "${OLD}"; # a file outside the checkout\n}\n`
    writeFileSync(outside, secret)
    const r = track(createRepo({ 'flake.nix': FLAKE }))
    symlinkSync(outside, join(r.dir, 'deps.nix'))
    r.git('add', 'deps.nix')
    r.git('commit', '-qm', 'link')
    const { outcome } = await aggregate(r.dir, system => result(system, [fix({ file: 'deps.nix' })]))
    expect(outcome).toBeInstanceOf(Error)
    expect(lstatSync(join(r.dir, 'deps.nix')).isSymbolicLink()).toBe(true)
    expect(readFileSync(outside, 'utf8')).toBe(secret)
  })

  it('is written byte for byte: a Latin-1 byte elsewhere in the file stays that byte', async () => {
    const bytes = Buffer.concat([Buffer.from(FLAKE.replace('example.org', 'caf'), 'latin1'), Buffer.from([0xe9, 0x0a])])
    const r = track(createRepo({ 'flake.nix': bytes }))
    const { outcome } = await aggregate(r.dir, system => result(system, [fix({})]))
    expect(outcome).not.toBeInstanceOf(Error)
    const after = readFileSync(join(r.dir, 'flake.nix'))
    expect(after.equals(Buffer.from(bytes.toString('latin1').replace(OLD, NEW), 'latin1'))).toBe(true)
  })
})

describe('a forged result', () => {
  it('that names no commit does not count: every system must have built the run’s commit', async () => {
    const { outcome } = await aggregate(undefined, system => result(system, [], { commit: null }))
    expect(outcome).not.toBeInstanceOf(Error)
    if (outcome instanceof Error) return
    expect(outcome.decision.allGreen).toBe(false)
    expect(outcome.decision.systems.map(s => s.state)).toEqual(['missing', 'missing'])
    expect(outcome.failures.join('\n')).toMatch(/built no known commit, not this commit c0ffee000000/)
  })

  it('with control characters is refused; its text is never printed as a workflow command', async () => {
    let stdout: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      return true
    })
    try {
      const reporter = new ActionReporter()
      const { outcome } = await aggregate(
        undefined,
        system =>
          result(system, [], {
            nixVersion: '2.8.0\n::warning::nixVersion',
            build: { ...result(system, []).build, builtOn: 'x\n::error title=pwned::builtOn' }
          }),
        reporter as never
      )
      reporter.flush()
      const seen = commandsSeenByRunner(stdout.join(''))
      expect(seen.filter(c => /title=pwned|^::warning::nixVersion/.test(c.line))).toEqual([])
      expect(outcome).not.toBeInstanceOf(Error)
      if (outcome instanceof Error) return
      expect(outcome.decision.systems.map(s => s.state)).toEqual(['missing', 'missing'])
      expect(outcome.failures.join('\n')).toMatch(/control character/)
    } finally {
      spy.mockRestore()
      stdout = []
    }
  })
})

describe('an honest result', () => {
  it('with colours in Nix’s words is written without control characters, so the aggregate reads it', () => {
    const build = {
      nixVersion: '2.8.0',
      systems: [
        {
          system: 'x86_64-linux',
          status: 'failed',
          mode: 'native',
          outPaths: [],
          error: 'error: \u001b[31mbuilder failed\u001b[0m\r\n  line two'
        }
      ]
    } as unknown as BuildStageResult
    const written = systemResultOf('x86_64-linux', { build }, COMMIT)
    const read = readSystemResult(JSON.stringify(written), 'x86_64-linux')
    expect(read.build.error).toBe('error: \\u001b[31mbuilder failed\\u001b[0m\\u000d\n  line two')
  })
})
