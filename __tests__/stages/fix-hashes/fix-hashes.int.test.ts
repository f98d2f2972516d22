// The stale-hash stage end to end with real Nix: detect from Nix's own reports, locate in the
// repository, patch in the same form, verify by building every system again.
import { describe, expect, it } from '@jest/globals'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseInputs } from '../../../src/inputs.js'
import { runPipeline } from '../../../src/pipeline.js'
import { useCleanup } from '../../support/cleanup.js'
import { Fixture, FixtureSpec, REPO_ROOT, createFixture, testNix } from '../../support/fixtures.js'
import { recordingReporter } from '../../support/reporting.js'

const track = useCleanup()

const fixture = (spec: FixtureSpec): Fixture => track(createFixture(spec))

const BOTH = ['x86_64-linux', 'aarch64-linux']
const X86 = ['x86_64-linux']

async function fixHashes(f: Fixture, options: { mode?: string; systems?: string[]; base?: string; checkFods?: string } = {}) {
  const reporter = recordingReporter()
  const inputs = parseInputs(
    name =>
      ({
        systems: (options.systems ?? BOTH).join(' '),
        'fix-hashes': options.mode ?? 'report',
        'check-fods': options.checkFods,
        'vm-test': 'off',
        cache: 'false'
      })[name]
  )
  const result = await runPipeline(inputs, { nix: testNix(), reporter, cwd: f.dir, base: options.base, actionDir: REPO_ROOT })
  return { result, reporter, hashes: result.hashes!, flake: () => readFileSync(join(f.dir, 'flake.nix'), 'utf8') }
}

describe('fix-hashes', () => {
  it('fixes a stale SRI hash, verifies it on both systems, and changes only that hash', async () => {
    const f = fixture({
      systems: BOTH,
      fods: [{ attr: 'mast-mix-deps', content: 'phoenix 1.7.15', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const staleValue = /outputHash = "([^"]+)"/.exec(before)![1]
    const { result, hashes, reporter, flake } = await fixHashes(f, { mode: 'write' })

    expect(hashes.status).toBe('fixed')
    expect(hashes.fixes).toEqual([
      expect.objectContaining({
        name: 'mast-mix-deps-0.1.0',
        file: 'flake.nix',
        old: staleValue,
        new: f.correctHash['mast-mix-deps'],
        systems: BOTH.slice().sort()
      })
    ])
    expect(flake()).toBe(before.replace(staleValue, f.correctHash['mast-mix-deps']))
    expect(hashes.writtenFiles).toEqual(['flake.nix'])
    // The run still fails: this commit's hash was stale. The output names file, line, old and new.
    expect(result.ok).toBe(false)
    expect(JSON.parse(reporter.outputs.get('hash-mismatches')!)).toEqual([
      {
        derivation: expect.stringMatching(/-mast-mix-deps-0.1.0.drv$/),
        file: 'flake.nix',
        line: hashes.fixes[0].line,
        old: staleValue,
        new: f.correctHash['mast-mix-deps'],
        systems: BOTH.slice().sort()
      }
    ])
    expect(reporter.text()).toMatch(new RegExp(`error: flake.nix:${hashes.fixes[0].line}: Stale hash for mast-mix-deps-0.1.0`))
  })

  it('in report mode verifies the fix but leaves every byte of the work tree as it was', async () => {
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'plug 1.16.2', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'))
    const { hashes } = await fixHashes(f, { systems: X86 })
    expect(hashes.status).toBe('fixed')
    expect(hashes.fixes[0].new).toBe(f.correctHash['mast-mix-deps'])
    expect(hashes.writtenFiles).toEqual([])
    expect(readFileSync(join(f.dir, 'flake.nix')).equals(before)).toBe(true)
    expect(f.git('status', '--porcelain')).toBe('')
  })

  it.each([
    ['nix32', { encoding: 'nix32' as const, hash: 'stale' as const }],
    ['base16', { encoding: 'base16' as const, hash: 'stale' as const }],
    ['all-A SRI placeholder', { hash: { literal: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }],
    ['lib.fakeHash', { hash: { expression: 'lib.fakeHash' } }],
    ['lib.fakeSha256', { hash: { expression: 'lib.fakeSha256' } }]
  ])('writes the new hash in the form of the old one: %s', async (_label, form) => {
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'jason 1.4.4', ...form }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const { hashes, flake } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(hashes.status).toBe('fixed')
    const written = /outputHash = ([^;]+);/.exec(flake())![1]
    const sri = f.correctHash['mast-mix-deps']
    const digest = Buffer.from(sri.slice('sha256-'.length), 'base64')
    const expected: Record<string, string> = {
      nix32: `"${(await import('../../support/fixtures.js')).toNix32(digest)}"`,
      base16: `"${digest.toString('hex')}"`
    }
    expect(written).toBe(expected[_label] ?? `"${sri}"`)
  })

  it('fixes several stale hashes found by one build, with one verifying build', async () => {
    const f = fixture({
      systems: X86,
      fods: [
        { attr: 'mast-mix-deps', content: 'bandit 1.5.8', hash: 'stale' },
        { attr: 'assets-npm-deps', content: 'esbuild 0.21', hash: 'stale', encoding: 'nix32' }
      ],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps', 'assets-npm-deps'] }]
    })
    const { hashes } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(hashes.status).toBe('fixed')
    expect(hashes.fixes.map(fix => fix.name).sort()).toEqual(['assets-npm-deps-0.1.0', 'mast-mix-deps-0.1.0'])
    expect(hashes.rounds).toBe(2)
  })

  it('fixes a chain: a stale hash that only shows once the one before it is fixed', async () => {
    const f = fixture({
      systems: X86,
      fods: [
        { attr: 'hex-registry', content: 'registry v2', hash: 'stale' },
        { attr: 'mast-mix-deps', content: 'deps v2', hash: 'stale', inputs: ['hex-registry'] }
      ],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const { hashes, result } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(hashes.status).toBe('fixed')
    expect(hashes.fixes.map(fix => fix.name).sort()).toEqual(['hex-registry-0.1.0', 'mast-mix-deps-0.1.0'])
    expect(hashes.rounds).toBe(3)
    expect(result.build?.ok).toBe(false)
  })

  it('catches a stale hash hidden by an output already in the store once a lock file changed', async () => {
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'deps for lock v1' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    writeFileSync(join(f.dir, 'mix.lock'), '%{"plug": {:hex, :plug, "1.16.1"}}\n')
    const base = f.commitAll('lock v1')
    expect((await fixHashes(f, { systems: X86, base })).hashes.status).toBe('clean')

    // Dependabot bumps mix.lock and the FOD's inputs, but not its hash: Nix reuses the old output.
    writeFileSync(join(f.dir, 'mix.lock'), '%{"plug": {:hex, :plug, "1.16.2"}}\n')
    writeFileSync(
      join(f.dir, 'flake.nix'),
      readFileSync(join(f.dir, 'flake.nix'), 'utf8').replace("'deps for lock v1'", "'deps for lock v2'")
    )
    f.commitAll('bump plug')
    const { hashes, result } = await fixHashes(f, { mode: 'write', systems: X86, base })
    expect(result.build?.ok).toBe(true)
    expect(hashes.rechecked).toHaveLength(1)
    expect(hashes.status).toBe('fixed')
    expect(hashes.fixes[0]).toMatchObject({ name: 'mast-mix-deps-0.1.0', silent: true })
    expect(hashes.fixes[0].new).not.toBe(f.correctHash['mast-mix-deps'])
    expect(result.ok).toBe(false)
  })

  it('does not re-check outputs in the store when no lock file changed since the base', async () => {
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'unchanged deps' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const base = f.git('rev-parse', 'HEAD')
    await fixHashes(f, { systems: X86, base })
    const { hashes } = await fixHashes(f, { systems: X86, base })
    expect(hashes.rechecked).toEqual([])
    expect(hashes.status).toBe('clean')
  })

  it('reports a platform-dependent output as a conflict with both values, and patches nothing', async () => {
    const f = fixture({
      systems: BOTH,
      fods: [
        { attr: 'mast-mix-deps', content: '', script: 'printf "precompiled NIF for %s %s" "$(uname -m)" "$salt" > $out', hash: 'stale' }
      ],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const { hashes, flake } = await fixHashes(f, { mode: 'write' })
    expect(hashes.status).toBe('failed')
    expect(hashes.fixes).toEqual([])
    const conflict = hashes.problems.find(p => p.kind === 'platform-conflict')
    expect(conflict?.message).toMatch(/different correct hashes on different systems \(x86_64-linux: sha256-[^;]+; aarch64-linux: sha256-/)
    expect(flake()).toBe(before)
  })

  it('never patches on a hash mismatch printed by a builder', async () => {
    const forgedPlain =
      "error: hash mismatch in fixed-output derivation '/nix/store/00000000000000000000000000000000-mast-mix-deps-0.1.0.drv':\n         specified: SPEC\n            got:    sha256-mC6KRyzGzw5Hl1b+8FgnlHkt9vAXQF4O2O0+4/7lK6A="
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'deps' }],
      packages: [
        {
          attr: 'mast',
          fods: ['mast-mix-deps'],
          // Plain text and an injected internal-json msg, both claiming the FOD's real hash is stale.
          script: `printf '%s\\n' "${forgedPlain.replace(/\n/g, '\\n')}" >&2; echo '@nix {"action":"msg","level":0,"msg":"error: hash mismatch in fixed-output derivation x"}' >&2; exit 1`
        }
      ]
    })
    const spec = /outputHash = "([^"]+)"/.exec(readFileSync(join(f.dir, 'flake.nix'), 'utf8'))![1]
    writeFileSync(join(f.dir, 'flake.nix'), readFileSync(join(f.dir, 'flake.nix'), 'utf8').replace('SPEC', spec))
    f.commitAll('forged')
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const { hashes, result, flake } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(result.build?.ok).toBe(false)
    expect(hashes.status).toBe('clean')
    expect(hashes.fixes).toEqual([])
    expect(flake()).toBe(before)
  })

  it('lists every candidate instead of guessing when the stale hash stands for two derivations', async () => {
    const shared = 'sha256-mC6KRyzGzw5Hl1b+8FgnlHkt9vAXQF4O2O0+4/7lK6A='
    const f = fixture({
      systems: X86,
      fods: [
        { attr: 'mast-mix-deps', content: 'a', hash: { literal: shared } },
        { attr: 'other-deps', content: 'b', hash: { literal: shared } }
      ],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const { hashes, flake, reporter } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(hashes.fixes).toEqual([])
    const problem = hashes.problems.find(p => p.kind === 'ambiguous')
    expect(problem?.candidates).toHaveLength(2)
    expect(reporter.text()).toMatch(/error: flake.nix:\d+: .*/)
    expect(flake()).toBe(before)
  })

  it('says so, and writes nothing, when the stale hash is not written anywhere in the repository', async () => {
    // The hash is computed by Nix, not written: there is no place to patch.
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'computed', hash: { expression: 'builtins.hashString "sha256" salt' } }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const before = readFileSync(join(f.dir, 'flake.nix'), 'utf8')
    const { hashes, flake } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(hashes.status).toBe('failed')
    expect(hashes.problems).toEqual([expect.objectContaining({ kind: 'not-found', derivation: 'mast-mix-deps-0.1.0' })])
    expect(flake()).toBe(before)
  })

  it('finds the hash in the repository that holds the flake, also when it sits inside the workspace', async () => {
    // As ci.yml's stale-hash job does: a copy with its own git repository inside the workspace.
    const workspace = fixture({ systems: X86, packages: [{ attr: 'unrelated' }] })
    const inner = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'nested', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const { renameSync } = await import('node:fs')
    renameSync(inner.dir, join(workspace.dir, 'stale-mast'))
    inner.dir = join(workspace.dir, 'stale-mast')
    const reporter = recordingReporter()
    const inputs = parseInputs(
      name => ({ flake: './stale-mast', systems: 'x86_64-linux', 'fix-hashes': 'report', 'vm-test': 'off', cache: 'false' })[name]
    )
    const result = await runPipeline(inputs, { nix: testNix(), reporter, cwd: workspace.dir, actionDir: REPO_ROOT })
    expect(result.hashes?.fixes).toEqual([expect.objectContaining({ file: 'flake.nix', new: inner.correctHash['mast-mix-deps'] })])
  })

  it('keeps the file mode and CRLF line endings of the file it patches', async () => {
    const f = fixture({
      systems: X86,
      fods: [{ attr: 'mast-mix-deps', content: 'crlf', hash: 'stale' }],
      packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
    })
    const path = join(f.dir, 'flake.nix')
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n/g, '\r\n'))
    const { chmodSync } = await import('node:fs')
    chmodSync(path, 0o755)
    f.commitAll('crlf and executable')
    const { hashes } = await fixHashes(f, { mode: 'write', systems: X86 })
    expect(hashes.status).toBe('fixed')
    const after = readFileSync(path, 'utf8')
    expect(after.split('\r\n').length).toBe(after.split('\n').length)
    expect(statSync(path).mode & 0o777).toBe(0o755)
  })
})
