// Benchmark: k stale hashes (k = 1, 3, 5) fixed by the fix-hashes stage (one discovery build with
// --keep-going, one verifying build, one check-mode rebuild of the fixed FODs) against a
// one-hash-per-rebuild loop (how single-hash tools work: build, fix the first mismatch, build
// again). Both on fresh fixtures, x86_64-linux only. Prints the number of `nix build` calls and
// the wall time of each, their ratios, and where the stage's time went.
import { randomBytes } from 'node:crypto'
import { TEST_NIX_CONFIG, createFixture } from '../__tests__/support/fixtures.js'
import { FixRun, fixOneHashPerRebuild, fixWithStage } from './support/fix-hashes-runs.js'

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

async function stage(k: number): Promise<FixRun> {
  const fixture = staleFixture(k)
  try {
    return await fixWithStage(fixture.dir, k, NIX_CONFIG)
  } finally {
    fixture.cleanup()
  }
}

async function oneHashPerRebuild(k: number): Promise<FixRun> {
  const fixture = staleFixture(k)
  try {
    return await fixOneHashPerRebuild(fixture.dir, 'default', NIX_CONFIG)
  } finally {
    fixture.cleanup()
  }
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
