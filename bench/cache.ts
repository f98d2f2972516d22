// Benchmark: the Nix store cache. A cold run (restore misses, everything builds, the entry is saved)
// against a warm run of the same flake on a store emptied of everything the cold run built (the
// entry is restored, nothing builds, nothing is uploaded), as on a fresh GitHub runner. Also an
// uncached build of a fresh twin, to show what saving costs a cold run. The real @actions/cache
// client talks to the local cache service the tests use. Target: warm <= 0.3 of cold.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { restoreNixCache } from '../src/cache/restore.js'
import { saveNixCache } from '../src/cache/save.js'
import { ensureSuccess } from '../src/nix/runner.js'
import { formatBytes } from '../src/report/reporter.js'
import { TerminalReporter } from '../src/report/terminal-reporter.js'
import { runBuildStage } from '../src/stages/build/build-stage.js'
import { startCacheServer, useCacheServer } from '../__tests__/support/cache-server/server.js'
import { type Fixture, createFixture, hashingFod, testNix } from '../__tests__/support/fixtures.js'

const FOD_MB = Number(process.env.BENCH_FOD_MB ?? 128)
const PACKAGE_MB = Number(process.env.BENCH_PACKAGE_MB ?? 256)
/** Incompressible bytes in each system's output, so the entry is not trivially small. */
const OUTPUT_MB = Number(process.env.BENCH_OUTPUT_MB ?? 64)
const SYSTEMS = ['x86_64-linux', 'aarch64-linux']
const nix = testNix()
// Without cache-signing-key a restore imports only fixed-output paths (docs/cache.md): the warm run
// measured here is the one a repository with the key gets.
const SIGNING_KEY = execFileSync(
  'nix',
  ['--extra-experimental-features', 'nix-command', 'key', 'generate-secret', '--key-name', 'nix-ci-bench-1'],
  { encoding: 'utf8' }
).trim()

/**
 * A FOD that hashes FOD_MB of data; a package that hashes PACKAGE_MB per system (under QEMU for
 * aarch64) and ships OUTPUT_MB of random bytes.
 */
function benchFixture(): Fixture {
  const salt = randomBytes(8).toString('hex')
  return createFixture({
    salt,
    systems: SYSTEMS,
    fods: [hashingFod('mast-mix-deps', FOD_MB, salt)],
    packages: [
      {
        attr: 'mast',
        fods: ['mast-mix-deps'],
        script: `mkdir -p $out/bin && cp $builder $out/bin/busybox && uname -m > $out/arch && dd if=/dev/zero bs=1048576 count=${PACKAGE_MB} 2>/dev/null | sha256sum > $out/digest && head -c ${OUTPUT_MB << 20} /dev/urandom > $out/payload`
      }
    ]
  })
}

interface Timed {
  totalMs: number
  restoreMs: number
  buildMs: number
  saveMs: number
}

async function ciRun(
  fixture: Fixture,
  cacheDir: string,
  expect: 'cold' | 'warm'
): Promise<Timed & { savedPaths: string[]; savedBytes: number }> {
  const reporter = new TerminalReporter(() => {})
  const common = { nix, reporter, cwd: fixture.dir, flake: fixture.dir, systems: SYSTEMS, cacheDir, signingKey: SIGNING_KEY }
  const started = Date.now()
  const restored = await restoreNixCache(common)
  const buildStarted = Date.now()
  const build = await runBuildStage({ flake: fixture.dir, package: 'default', systems: SYSTEMS, nix, reporter, cwd: fixture.dir })
  const saveStarted = Date.now()
  const saved = await saveNixCache({ ...common, build, restored })
  const ended = Date.now()
  if (!build.ok) throw new Error(`${expect} build failed: ${build.systems.map(s => `${s.system} ${s.status} ${s.error ?? ''}`).join('; ')}`)
  if (expect === 'cold' && (restored.status !== 'miss' || saved.status !== 'saved'))
    throw new Error(`cold run: restore ${restored.status}, save ${saved.status} ${saved.reason ?? ''}`)
  if (expect === 'warm' && (restored.status !== 'hit' || build.builtDerivations.length > 0 || saved.status !== 'skipped')) {
    throw new Error(`warm run: restore ${restored.status}, built ${build.builtDerivations.length}, save ${saved.status}`)
  }
  return {
    totalMs: ended - started,
    restoreMs: buildStarted - started,
    buildMs: saveStarted - buildStarted,
    saveMs: ended - saveStarted,
    savedPaths: saved.savedPaths,
    savedBytes: saved.savedBytes
  }
}

async function uncachedBuild(): Promise<number> {
  const fixture = benchFixture()
  const started = Date.now()
  const build = await runBuildStage({
    flake: fixture.dir,
    package: 'default',
    systems: SYSTEMS,
    nix,
    reporter: new TerminalReporter(() => {}),
    cwd: fixture.dir
  })
  const elapsed = Date.now() - started
  fixture.cleanup()
  if (!build.ok)
    throw new Error(
      `uncached build failed: ${build.systems.map(s => `${s.system} ${s.status} ${s.error ?? ''}`).join('; ')} ${build.nixErrors.join('\n')}`
    )
  return elapsed
}

const temp = mkdtempSync(join(tmpdir(), 'nix-ci-bench-cache-'))
const server = await startCacheServer()
const restoreEnv = useCacheServer(server, join(temp, 'runner-temp'))
try {
  const uncachedMs = await uncachedBuild()
  const fixture = benchFixture()
  const cold = await ciRun(fixture, join(temp, 'store-cache'), 'cold')
  // A fresh runner: none of what the cold run built is in the store.
  ensureSuccess(await nix.run({ args: ['store', 'delete', ...cold.savedPaths] }), 'nix store delete')
  const warm = await ciRun(fixture, join(temp, 'store-cache'), 'warm')
  fixture.cleanup()

  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
  const ratio = warm.totalMs / cold.totalMs
  console.log(
    `Nix store cache, systems ${SYSTEMS.join(' + ')} (aarch64 under QEMU), FOD hashing ${FOD_MB} MiB, package hashing ${PACKAGE_MB} MiB and holding ${OUTPUT_MB} MiB per system`
  )
  const blobWrites = server.calls.filter(c => c.operation === 'blob-write').length
  console.log(
    `  entry: ${cold.savedPaths.length} store paths, ${formatBytes(cold.savedBytes)} before compression; uploaded in ${blobWrites} blob request(s)`
  )
  console.log(`  uncached build (no cache at all):                    ${s(uncachedMs)}`)
  console.log(
    `  cold run (restore miss + build + save):              ${s(cold.totalMs)}  (restore ${s(cold.restoreMs)}, build ${s(cold.buildMs)}, save ${s(cold.saveMs)})`
  )
  console.log(
    `  warm run (restore hit + build of nothing, no save):  ${s(warm.totalMs)}  (restore ${s(warm.restoreMs)}, build ${s(warm.buildMs)}, save ${s(warm.saveMs)})`
  )
  console.log(`  ratio warm/cold: ${ratio.toFixed(2)} (target <= 0.30) ${ratio <= 0.3 ? 'MET' : 'NOT MET'}`)
} finally {
  restoreEnv()
  await server.stop()
  rmSync(temp, { recursive: true, force: true })
}
