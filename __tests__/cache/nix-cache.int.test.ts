// The Nix store cache end to end: real Nix builds of fixture flakes by the real build stage, the real
// @actions/cache client, and a local cache service. A warm run is proven by deleting the built paths
// from the store after the save: only the restore can bring them back.
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { closureWithSizes, exportToBinaryCache } from '../../src/cache/binary-cache.js'
import { cacheKeysFor } from '../../src/cache/entry.js'
import { MANIFEST_FILE, writeManifest } from '../../src/cache/manifest.js'
import { restoreNixCache } from '../../src/cache/restore.js'
import { saveNixCache } from '../../src/cache/save.js'
import { saveEntry } from '../../src/cache/transport.js'
import type { CacheRestoreOptions, CacheRestoreResult } from '../../src/cache/types.js'
import { ensureSuccess } from '../../src/nix/runner.js'
import { pathInfo } from '../../src/nix/store.js'
import { runBuildStage } from '../../src/stages/build/build-stage.js'
import type { BuildStageResult } from '../../src/stages/build/types.js'
import type { CacheTestServer } from '../support/cache-server/server.js'
import { useCleanup } from '../support/cleanup.js'
import { Fixture, FixtureSpec, createFixture, renderFlake, testNix } from '../support/fixtures.js'
import { RecordingReporter, recordingReporter } from '../support/reporting.js'
import { useCacheService } from '../support/cache-world.js'

const BOTH = ['x86_64-linux', 'aarch64-linux']
const X86 = ['x86_64-linux']
const nix = testNix()

let server: CacheTestServer
let temp: string
let restoreEnv: () => void
useCacheService('nix-ci-nix-cache-', world => ({ server, temp, restoreEnv } = world))
const track = useCleanup()

const fixture = (spec: FixtureSpec): Fixture => track(createFixture(spec))

function spec(systems: string[], packageScript?: string): FixtureSpec {
  return {
    systems,
    fods: [{ attr: 'mast-mix-deps', content: 'phoenix 1.7.14' }],
    packages: [{ attr: 'mast', fods: ['mast-mix-deps'], ...(packageScript ? { script: packageScript } : {}) }]
  }
}

/** One CI run: restore, build, save; what the pipeline will do with `cache: true`. */
async function ciRun(
  f: Fixture,
  systems: string[],
  extra: Partial<CacheRestoreOptions> & { maxSizeBytes?: number; signingKey?: string } = {}
) {
  const reporter = recordingReporter()
  const common = { nix, reporter, cwd: f.dir, flake: f.dir, systems, cacheDir: join(temp, 'store-cache'), ...extra }
  const restored = await restoreNixCache(common)
  const build = await runBuildStage({ flake: f.dir, package: 'default', systems, nix, reporter, cwd: f.dir })
  const saved = await saveNixCache({ ...common, build, restored })
  return { reporter, restored, build, saved }
}

async function deleteFromStore(paths: string[]): Promise<void> {
  const result = await nix.run({ args: ['store', 'delete', ...paths] })
  ensureSuccess(result, 'nix store delete')
  const infos = await pathInfo(nix, paths)
  expect(paths.filter(p => infos.get(p)?.valid)).toEqual([])
}

function outPaths(build: BuildStageResult): string[] {
  return build.systems.flatMap(s => s.outPaths)
}

function fodOutput(restored: CacheRestoreResult): string {
  return restored.entryPaths.find(p => p.endsWith('-mast-mix-deps-0.1.0')) as string
}

describe('Nix store cache', () => {
  it('saves after a cold run; a warm run on an emptied store restores everything, builds nothing and uploads nothing', async () => {
    // Everything includes the packages' own (input-addressed) outputs: only a signature lets those in.
    const { secret } = generateKey('nix-ci-test-warm')
    const f = fixture(spec(BOTH))
    const cold = await ciRun(f, BOTH, { signingKey: secret })
    expect(cold.restored.status).toBe('miss')
    expect(cold.build.ok).toBe(true)
    expect(cold.build.builtDerivations.length).toBeGreaterThanOrEqual(3)
    expect(cold.saved).toMatchObject({ status: 'saved', key: cold.restored.key })
    // The built outputs and the fixed-output path they were built from.
    expect(cold.saved.roots).toEqual(expect.arrayContaining(outPaths(cold.build)))
    expect(cold.saved.roots.filter(p => p.endsWith('-mast-mix-deps-0.1.0'))).toHaveLength(1)
    expect(cold.saved.savedBytes).toBeGreaterThan(1_000_000)
    expect(server.twirpCalls()).toEqual(['GetCacheEntryDownloadURL', 'CreateCacheEntry', 'FinalizeCacheEntryUpload'])

    await deleteFromStore(cold.saved.savedPaths)
    const callsBefore = server.twirpCalls().length
    const warm = await ciRun(f, BOTH, { signingKey: secret })

    expect(warm.restored).toMatchObject({ status: 'hit', matchedKey: cold.restored.key, warnings: [] })
    expect(warm.restored.restoredPaths.sort()).toEqual([...cold.saved.savedPaths].sort())
    expect(warm.restored.restoredFixedOutputs).toEqual(cold.saved.roots.filter(p => p.endsWith('-mast-mix-deps-0.1.0')))
    expect(warm.build.ok).toBe(true)
    expect(warm.build.builtDerivations).toEqual([])
    expect(warm.build.systems.map(s => s.alreadyValid)).toEqual([true, true])
    expect(outPaths(warm.build)).toEqual(outPaths(cold.build))
    // No upload on an exact hit: the only call was the lookup.
    expect(warm.saved.status).toBe('skipped')
    expect(server.twirpCalls().slice(callsBefore)).toEqual(['GetCacheEntryDownloadURL'])
    expect(warm.reporter.summary()).toMatch(/### Nix store cache[^]*\| restore \| hit \|[^]*\| save \| skipped \|/)
    expect(cold.reporter.summary()).toMatch(/\| restore \| miss \|[^]*\| save \| saved \|/)
    expect(server.violations).toEqual([])
  })

  it('falls back to the newest entry of the same systems when the flake changed, and rebuilds only what changed', async () => {
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86)
    expect(first.saved.status).toBe('saved')
    // The package changes, its fixed-output dependency does not: a new key, an old entry to start from.
    writeFileSync(join(f.dir, 'flake.nix'), renderFlake(spec(X86, 'mkdir -p $out; echo changed > $out/version'), f.salt).flake)
    f.commitAll('change the package')
    await deleteFromStore(first.saved.savedPaths)

    const second = await ciRun(f, X86)
    expect(second.restored.key).not.toBe(first.restored.key)
    expect(second.restored).toMatchObject({ status: 'partial-hit', matchedKey: first.restored.key })
    const fod = fodOutput(second.restored)
    expect(second.restored.restoredFixedOutputs).toEqual([fod])
    expect(second.build.ok).toBe(true)
    expect(second.build.builtDerivations.map(d => d.replace(/^\/nix\/store\/[a-z0-9]{32}-/, ''))).toEqual(['mast-0.1.0.drv'])
    // Something new was built: saved under the new key.
    expect(second.saved).toMatchObject({ status: 'saved', key: second.restored.key })
    expect(server.service.entries.map(e => e.key)).toEqual([first.restored.key, second.restored.key])
  })

  it('warns and builds uncached when the cache service is down; nothing is lost', async () => {
    const f = fixture(spec(X86))
    await server.goDown()
    const run = await ciRun(f, X86)
    expect(run.restored.status).toBe('failed')
    expect(run.restored.warnings.join('\n')).toMatch(/could not be restored \(.*ECONNREFUSED.*\)\. The build runs without it/)
    expect(run.build.ok).toBe(true)
    expect(run.build.systems[0].status).toBe('built')
    expect(run.saved.status).toBe('failed')
    expect(run.saved.warnings.join('\n')).toMatch(/was not saved \(.*\)\. The build's result is unaffected/)
    expect(run.reporter.text()).toMatch(/warning: The Nix store cache could not be restored/)
    expect(run.reporter.text()).not.toMatch(/^error:/m)
  })

  it('ignores a corrupt entry with a warning, and the build still produces everything', async () => {
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86)
    await deleteFromStore(first.saved.savedPaths)
    server.corruptDownloads = true
    const second = await ciRun(f, X86)
    expect(second.restored.status).toBe('failed')
    expect(second.restored.restoredPaths).toEqual([])
    expect(second.restored.warnings.join('\n')).toMatch(/could not be restored \(Failed to restore: .*\)/)
    expect(second.build.ok).toBe(true)
    expect(second.build.builtDerivations).toHaveLength(2)
    expect(outPaths(second.build)).toEqual(outPaths(first.build))
    // The broken entry holds this very key: a save could only collide with it.
    expect(second.saved.status).toBe('skipped')
    expect(second.saved.reason).toMatch(/exists but could not be restored/)
    expect(server.twirpCalls().filter(c => c === 'CreateCacheEntry')).toHaveLength(1)
  })

  it('ignores an entry without a readable manifest', async () => {
    const f = fixture(spec(X86))
    const cacheDir = join(temp, 'store-cache')
    const { key } = await cacheKeysFor({ nix, flake: f.dir, cwd: f.dir, systems: X86 })
    mkdirSync(cacheDir, { recursive: true })
    writeFileSync(join(cacheDir, MANIFEST_FILE), '{"formatVersion": 1, "roots": ["/etc/passwd"]}')
    expect((await saveEntry(cacheDir, key, recordingReporter())).kind).toBe('saved')
    const run = await ciRun(f, X86)
    expect(run.restored).toMatchObject({ status: 'failed', matchedKey: key, restoredPaths: [] })
    expect(run.restored.warnings.join('\n')).toMatch(/entry .* is corrupt \(nix-ci-manifest.json lacks key.*\) and was ignored/)
    expect(run.build.ok).toBe(true)
  })

  it('refuses a store path whose NAR was tampered with (Nix checks every hash), and builds it instead', async () => {
    // Signed, so that the NAR's hash is what refuses it, not the lack of a signature.
    const { secret } = generateKey('nix-ci-test-tamper')
    const keyFile = join(temp, 'tamper-key')
    writeFileSync(keyFile, secret)
    const f = fixture(spec(X86))
    const build = await runBuildStage({ flake: f.dir, package: 'default', systems: X86, nix, reporter: recordingReporter(), cwd: f.dir })
    const roots = outPaths(build)
    const cacheDir = join(temp, 'store-cache')
    mkdirSync(cacheDir, { recursive: true })
    await exportToBinaryCache(nix, cacheDir, roots, { secretKeyFile: keyFile })
    const { key } = await cacheKeysFor({ nix, flake: f.dir, cwd: f.dir, systems: X86 })
    const paths = await closureWithSizes(nix, roots)
    await writeManifest(cacheDir, { formatVersion: 1, key, createdAt: '', nixVersion: await nix.version(), systems: X86, roots, paths })
    for (const nar of readdirSync(join(cacheDir, 'nar'))) {
      const file = join(cacheDir, 'nar', nar)
      const bytes = readFileSync(file)
      bytes[bytes.length - 200] ^= 0xff
      writeFileSync(file, bytes)
    }
    expect((await saveEntry(cacheDir, key, recordingReporter())).kind).toBe('saved')
    await deleteFromStore(roots)

    const run = await ciRun(f, X86, { signingKey: secret })
    expect(run.restored.status).toBe('failed')
    expect(run.restored.restoredPaths).toEqual([])
    expect(run.restored.warnings.join('\n')).toMatch(/Importing the cache entry .* failed \(nix copy --from .* failed[^]*hash mismatch/)
    expect(run.build.ok).toBe(true)
    expect(run.build.builtDerivations.map(d => d.replace(/^\/nix\/store\/[a-z0-9]{32}-/, ''))).toEqual(['mast-0.1.0.drv'])
  })

  it('warns when the quota is full, and the build result stands', async () => {
    const f = fixture(spec(X86))
    server.inject({ operation: 'CreateCacheEntry', code: 'resource_exhausted', msg: 'insufficient usage to create cache entry' })
    const run = await ciRun(f, X86)
    expect(run.build.ok).toBe(true)
    expect(run.saved.status).toBe('failed')
    expect(run.saved.warnings.join('\n')).toMatch(/not saved \(.*quota.*\)/)
  })

  it('warns when another job saved the same key first', async () => {
    const f = fixture(spec(X86))
    const restored = await restoreNixCache({
      nix,
      reporter: recordingReporter(),
      cwd: f.dir,
      flake: f.dir,
      systems: X86,
      cacheDir: join(temp, 'c')
    })
    const build = await runBuildStage({ flake: f.dir, package: 'default', systems: X86, nix, reporter: recordingReporter(), cwd: f.dir })
    const save = (reporter: RecordingReporter) =>
      saveNixCache({ nix, reporter, cwd: f.dir, flake: f.dir, systems: X86, cacheDir: join(temp, 'c'), build, restored })
    expect((await save(recordingReporter())).status).toBe('saved')
    const second = await save(recordingReporter())
    expect(second.status).toBe('failed')
    expect(second.warnings.join('\n')).toMatch(/already exists/)
  })

  it('does not upload a closure over the size limit, and says which input raises it', async () => {
    const f = fixture(spec(X86))
    const run = await ciRun(f, X86, { maxSizeBytes: 1024 })
    expect(run.saved.status).toBe('too-large')
    expect(run.saved.warnings.join('\n')).toMatch(/closure is .* over the limit of 1.0 KiB. Raise the `cache-max-size` input/)
    expect(server.twirpCalls()).toEqual(['GetCacheEntryDownloadURL'])
  })

  it('imports only fixed-output paths for an untrusted Nix user, and says how to trust it', async () => {
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86)
    await deleteFromStore(first.saved.savedPaths)
    const second = await ciRun(f, X86, { trust: 'untrusted' })
    expect(second.restored.status).toBe('hit')
    expect(second.restored.restoredPaths).toEqual([fodOutput(second.restored)])
    expect(second.restored.skippedPaths).toEqual(outPaths(first.build))
    expect(second.restored.warnings.join('\n')).toMatch(/not in trusted-users[^]*set_as_trusted_user: true[^]*trusted-users = root <user>/)
    expect(second.build.builtDerivations.map(d => d.replace(/^\/nix\/store\/[a-z0-9]{32}-/, ''))).toEqual(['mast-0.1.0.drv'])
  })

  it('stays off, silently, where there is no cache service', async () => {
    restoreEnv()
    delete process.env.ACTIONS_RESULTS_URL
    delete process.env.ACTIONS_CACHE_URL
    const f = fixture(spec(X86))
    const run = await ciRun(f, X86)
    expect(run.restored.status).toBe('unavailable')
    expect(run.saved.status).toBe('unavailable')
    expect(run.reporter.text()).not.toMatch(/warning/)
    // The build stage writes its own summary; the cache adds nothing to it.
    expect(run.reporter.summary()).toContain('nix-ci build')
    expect(run.reporter.summary()).not.toMatch(/Nix store cache|cache/i)
    expect(server.calls).toEqual([])
  })
})

/** A key pair as `nix key generate-secret` makes it (its secret holds the public key in its last 32 bytes). */
function generateKey(name: string): { secret: string; publicKey: string } {
  const secret = execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'key', 'generate-secret', '--key-name', name], {
    encoding: 'utf8'
  }).trim()
  const publicKey = execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'key', 'convert-secret-to-public'], {
    input: secret,
    encoding: 'utf8'
  }).trim()
  return { secret, publicKey }
}

/**
 * What a writer in the same cache scope can save: an entry whose binary cache announces the
 * package's own output path with a NAR of its choosing ("PWNED"), with hashes that match it, so
 * only a signature can tell. Optionally signed with the writer's own key.
 */
async function savePoisonedEntry(
  key: string,
  outPath: string,
  systems: string[],
  options: { signWith?: string; claimCa?: string } = {}
): Promise<void> {
  const dir = join(temp, `poison-${Math.random().toString(36).slice(2)}`)
  const tree = join(dir, 'tree')
  mkdirSync(join(tree, 'bin'), { recursive: true })
  writeFileSync(join(tree, 'arch'), 'PWNED\n')
  // Saved from the directory the runs use: @actions/cache versions entries by their paths.
  const cache = join(temp, 'store-cache')
  rmSync(cache, { recursive: true, force: true })
  mkdirSync(join(cache, 'nar'), { recursive: true })
  const nar = execFileSync('nix-store', ['--dump', tree])
  const narFile = join(dir, 'x.nar')
  writeFileSync(narFile, nar)
  const hash = execFileSync('nix-hash', ['--type', 'sha256', '--flat', '--base32', narFile], { encoding: 'utf8' }).trim()
  writeFileSync(join(cache, 'nar', `${hash}.nar`), nar)
  writeFileSync(join(cache, 'nix-cache-info'), 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n')
  const hashPart = outPath.slice('/nix/store/'.length, '/nix/store/'.length + 32)
  const narinfo = [
    `StorePath: ${outPath}`,
    `URL: nar/${hash}.nar`,
    'Compression: none',
    `FileHash: sha256:${hash}`,
    `FileSize: ${nar.length}`,
    `NarHash: sha256:${hash}`,
    `NarSize: ${nar.length}`,
    'References: '
  ]
  writeFileSync(join(cache, `${hashPart}.narinfo`), narinfo.join('\n') + '\n')
  if (options.signWith) {
    const keyFile = join(dir, 'key')
    writeFileSync(keyFile, options.signWith)
    const signed = await nix.run({ args: ['store', 'sign', '--store', `file://${cache}`, '--key-file', keyFile, outPath] })
    ensureSuccess(signed, 'nix store sign')
  }
  await writeManifest(cache, {
    formatVersion: 1,
    key,
    createdAt: '',
    nixVersion: await nix.version(),
    systems,
    roots: [outPath],
    // The manifest is the writer's too: it may call the path content-addressed.
    paths: [{ path: outPath, narSize: nar.length, ...(options.claimCa ? { ca: options.claimCa } : {}) }]
  })
  expect((await saveEntry(cache, key, recordingReporter())).kind).toBe('saved')
}

const builtNames = (build: BuildStageResult) => build.builtDerivations.map(d => d.replace(/^\/nix\/store\/[a-z0-9]{32}-/, ''))

describe('cache poisoning (issue 14, finding 9)', () => {
  it("without a signing key, never imports an input-addressed path from a restore key's entry: a tampered package output is rebuilt", async () => {
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86)
    const [outPath] = outPaths(first.build)
    const { key } = await cacheKeysFor({ nix, flake: f.dir, cwd: f.dir, systems: X86 })
    // Same systems and Nix, another digest: the run's first restore key matches it.
    const poisonedKey = key.replace(/-[0-9a-f]{32}$/, `-${'e'.repeat(32)}`)
    expect(poisonedKey).not.toBe(key)
    // The honest entry is gone (expired or evicted); the poisoned one is the newest match.
    server.service.evictAll()
    await savePoisonedEntry(poisonedKey, outPath, X86)
    await deleteFromStore(first.saved.savedPaths)

    const run = await ciRun(f, X86)
    expect(run.restored).toMatchObject({ status: 'partial-hit', matchedKey: poisonedKey })
    expect(run.restored.restoredPaths).not.toContain(outPath)
    expect(run.restored.skippedPaths).toEqual([outPath])
    expect(run.restored.warnings).toEqual([])
    expect(run.reporter.text()).toMatch(/restore key[^]*only its fixed-output[^]*cache-signing-key/)
    expect(builtNames(run.build)).toContain('mast-0.1.0.drv')
    expect(readFileSync(join(outPath, 'arch'), 'utf8')).not.toMatch(/PWNED/)
  })

  it('with a signing key, signs what it saves and restores input-addressed paths from a restore key only by their signature', async () => {
    const { secret, publicKey } = generateKey('nix-ci-test-1')
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86, { signingKey: secret })
    expect(first.saved).toMatchObject({ status: 'saved', warnings: [] })
    // The package changes (a new key), its fixed-output dependency does not.
    writeFileSync(join(f.dir, 'flake.nix'), renderFlake(spec(X86, 'mkdir -p $out; echo changed > $out/version'), f.salt).flake)
    f.commitAll('change the package')
    await deleteFromStore(first.saved.savedPaths)
    const second = await ciRun(f, X86, { signingKey: secret })
    expect(second.restored).toMatchObject({ status: 'partial-hit', skippedPaths: [], warnings: [] })
    expect([...second.restored.restoredPaths].sort()).toEqual([...first.saved.savedPaths].sort())
    const infos = execFileSync('nix', ['--extra-experimental-features', 'nix-command', 'path-info', '--sigs', ...outPaths(first.build)], {
      encoding: 'utf8'
    })
    expect(infos).toContain(`${publicKey.split(':')[0]}:`)
    expect(builtNames(second.build)).toEqual(['mast-0.1.0.drv'])
  })

  it('with a signing key, refuses an entry signed by another key or not at all, even under the exact key', async () => {
    const { secret } = generateKey('nix-ci-test-2')
    const other = generateKey('mallory-1')
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86, { signingKey: secret })
    const [outPath] = outPaths(first.build)
    const { key } = await cacheKeysFor({ nix, flake: f.dir, cwd: f.dir, systems: X86 })
    for (const signWith of [other.secret, undefined]) {
      server.service.evictAll()
      await savePoisonedEntry(key, outPath, X86, { signWith })
      await deleteFromStore(outPaths(first.build))
      const run = await ciRun(f, X86, { signingKey: secret })
      expect(run.restored).toMatchObject({ matchedKey: key, restoredPaths: [] })
      expect(run.restored.warnings.join('\n')).toMatch(/lacks a (valid )?signature[^]*signed with cache-signing-key/)
      expect(builtNames(run.build)).toEqual(['mast-0.1.0.drv'])
      expect(readFileSync(join(outPath, 'arch'), 'utf8')).not.toMatch(/PWNED/)
    }
  })
})

describe("cache poisoning through the run's exact key (issue 26, item 3)", () => {
  it("without a signing key, never imports an input-addressed path even from the run's exact key, whatever the manifest claims", async () => {
    const f = fixture(spec(X86))
    const first = await ciRun(f, X86)
    const [outPath] = outPaths(first.build)
    // The key is a function of the repository's files: anyone who can read them can save it first.
    const { key } = await cacheKeysFor({ nix, flake: f.dir, cwd: f.dir, systems: X86 })
    for (const claimCa of [undefined, `fixed:r:sha256:${'0'.repeat(52)}`]) {
      server.service.evictAll()
      await savePoisonedEntry(key, outPath, X86, { claimCa })
      await deleteFromStore(outPaths(first.build))

      const run = await ciRun(f, X86)
      expect(run.restored).toMatchObject({ status: claimCa === undefined ? 'hit' : 'failed', matchedKey: key })
      expect(run.restored.restoredPaths).not.toContain(outPath)
      expect(builtNames(run.build)).toEqual(['mast-0.1.0.drv'])
      expect(readFileSync(join(outPath, 'arch'), 'utf8')).not.toMatch(/PWNED/)
      if (claimCa === undefined) {
        expect(run.restored.skippedPaths).toEqual([outPath])
        expect(run.restored.warnings).toEqual([])
        expect(run.reporter.summary()).toMatch(/1 not imported \(input-addressed, and no cache-signing-key/)
        expect(run.reporter.text()).toMatch(/this run's key[^]*only its fixed-output[^]*cache-signing-key/)
      } else {
        // Called content-addressed, it is asked for, and Nix itself refuses it: no content address matches its store path.
        expect(run.restored.warnings.join('\n')).toMatch(/Importing the cache entry .* failed[^]*signature/)
      }
    }
  })
})
