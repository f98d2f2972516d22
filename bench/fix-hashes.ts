// Benchmark: k stale hashes (k = 1, 3, 5) fixed by the fix-hashes stage (one discovery build with
// --keep-going, one verifying build) against a one-hash-per-rebuild loop (how single-hash tools
// work: build, fix the first mismatch, build again). Both on fresh fixtures, x86_64-linux only.
// Prints the number of `nix build` calls and the wall time of each, and their ratios.
import { randomBytes } from 'node:crypto'
import { parseInputs } from '../src/inputs.js'
import { locateStaleHash } from '../src/hashes/locate.js'
import { MismatchParser, isActionable } from '../src/hashes/mismatch-parser.js'
import { patchStaleHashes } from '../src/hashes/patch.js'
import { NixCall, NixRunner } from '../src/nix/runner.js'
import { describeTiming } from '../src/report/timing.js'
import { runPipeline } from '../src/pipeline.js'
import { TerminalReporter } from '../src/report/terminal-reporter.js'
import { REPO_ROOT, TEST_NIX_CONFIG, createFixture } from '../__tests__/support/fixtures.js'

const MEGABYTES = Number(process.env.BENCH_FOD_MB ?? 64)
// Both sides may use both cores, as a CI runner would (install-nix-action sets max-jobs = auto).
const NIX_CONFIG = `${TEST_NIX_CONFIG}\nmax-jobs = 2`

function staleFixture(k: number) {
  const salt = randomBytes(8).toString('hex')
  return createFixture({
    salt,
    systems: ['x86_64-linux'],
    fods: Array.from({ length: k }, (_, i) => ({
      attr: `deps${i}`,
      content: '',
      // Measurable work per FOD, like a dependency fetch: hash MEGABYTES of data.
      script: `(printf %s "$salt-${i}"; dd if=/dev/zero bs=1048576 count=${MEGABYTES} 2>/dev/null) | sha256sum > $out`,
      hash: 'stale' as const
    })),
    packages: [{ attr: 'app', fods: Array.from({ length: k }, (_, i) => `deps${i}`) }]
  })
}

async function stage(k: number): Promise<{ builds: number; ms: number; breakdown: string[] }> {
  const fixture = staleFixture(k)
  const calls: NixCall[] = []
  const inputs = parseInputs(name => ({ systems: 'x86_64-linux', 'fix-hashes': 'pull-request', 'vm-test': 'off', cache: 'false' })[name])
  const started = Date.now()
  const result = await runPipeline(inputs, { nix: new NixRunner({ nixConfig: NIX_CONFIG, callLog: calls }), reporter: new TerminalReporter(() => {}), cwd: fixture.dir, writeFixesOnly: true, actionDir: REPO_ROOT })
  const ms = Date.now() - started
  fixture.cleanup()
  if (result.hashes?.fixes.length !== k) throw new Error(`stage fixed ${result.hashes?.fixes.length} of ${k}`)
  return { builds: calls.filter(c => c.command === 'build').length, ms, breakdown: describeTiming(result.build?.phases ?? [], calls) }
}

async function oneHashPerRebuild(k: number): Promise<{ builds: number; ms: number }> {
  const fixture = staleFixture(k)
  const nix = new NixRunner({ nixConfig: NIX_CONFIG })
  let builds = 0
  const started = Date.now()
  for (;;) {
    const parser = new MismatchParser({ trust: 'internal-json-only' })
    builds++
    const run = await nix.run({ args: ['build', '--no-link', '--log-format', 'internal-json', `${fixture.dir}#default`], onLine: parser.onLine })
    if (run.exitCode === 0) break
    const first = parser.finish().mismatches.find(isActionable)
    if (!first) throw new Error('naive loop: build failed without a mismatch')
    const location = locateStaleHash(fixture.dir, first)
    if (location.kind !== 'found') throw new Error(location.message)
    patchStaleHashes(fixture.dir, [{ occurrence: location.occurrence, got: first.got }])
  }
  const ms = Date.now() - started
  fixture.cleanup()
  return { builds, ms }
}

console.log(`fix-hashes: k stale hashes (each FOD hashes ${MEGABYTES} MiB), x86_64-linux, max-jobs = 2`)
for (const k of [1, 3, 5]) {
  const naive = await oneHashPerRebuild(k)
  const ours = await stage(k)
  console.log(
    `  k=${k}: one-hash-per-rebuild ${naive.builds} builds, ${(naive.ms / 1000).toFixed(2)} s | ` +
      `fix-hashes stage ${ours.builds} builds, ${(ours.ms / 1000).toFixed(2)} s | ` +
      `ratio builds ${(ours.builds / naive.builds).toFixed(2)}, wall ${(ours.ms / naive.ms).toFixed(2)}`
  )
  // Where the stage's time went: the first build's phases, then every nix call of the run.
  for (const line of ours.breakdown) console.log(`      ${line}`)
}
