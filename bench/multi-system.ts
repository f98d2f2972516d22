// Benchmark: the build stage (native FODs first, then each system) against the naive way (one
// `nix build` per system, one after another, each realising its own FOD: the emulated one under
// QEMU, as separate per-system CI jobs do). Fresh fixtures each side, so nothing is cached.
// Prints both wall times and their ratio. Target: stage <= 0.6 of naive.
import { randomBytes } from 'node:crypto'
import { runBuildStage } from '../src/stages/build/build-stage.js'
import { TerminalReporter } from '../src/report/terminal-reporter.js'
import { createFixture, hashingFod, testNix } from '../__tests__/support/fixtures.js'

const MEGABYTES = Number(process.env.BENCH_FOD_MB ?? 128)
const SYSTEMS = ['x86_64-linux', 'aarch64-linux']

/** A FOD that hashes MEGABYTES of data with busybox (measurable work, slow under QEMU). */
function fodFixture() {
  const salt = randomBytes(8).toString('hex')
  return createFixture({
    salt,
    systems: SYSTEMS,
    fods: [hashingFod('mast-mix-deps', MEGABYTES, salt)],
    packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
  })
}

async function naive(): Promise<number> {
  const nix = testNix()
  const started = Date.now()
  // Emulated first, as its own job would: it realises the FOD under QEMU.
  for (const system of ['aarch64-linux', 'x86_64-linux']) {
    const fixture = fodFixture()
    const result = await nix.run({ args: ['build', '--no-link', `${fixture.dir}#packages.${system}.default`] })
    fixture.cleanup()
    if (result.exitCode !== 0) throw new Error(`naive build of ${system} failed`)
  }
  return Date.now() - started
}

async function stage(): Promise<number> {
  const fixture = fodFixture()
  const started = Date.now()
  const result = await runBuildStage({
    flake: fixture.dir,
    package: 'default',
    systems: SYSTEMS,
    nix: testNix(),
    reporter: new TerminalReporter(() => {})
  })
  const elapsed = Date.now() - started
  fixture.cleanup()
  if (!result.ok) throw new Error(`stage build failed: ${result.systems.map(s => `${s.system} ${s.status} ${s.error ?? ''}`).join('; ')}`)
  if (result.nativeFodsFirst.length !== 1) throw new Error('expected the FOD to be realised natively first')
  return elapsed
}

const naiveMs = await naive()
const stageMs = await stage()
const ratio = stageMs / naiveMs
console.log(`multi-system build, FOD hashing ${MEGABYTES} MiB, systems ${SYSTEMS.join(' + ')}`)
console.log(`  naive (one nix build per system, emulated FOD under QEMU): ${(naiveMs / 1000).toFixed(2)} s`)
console.log(`  nix-ci build stage (one invocation, native FOD first):      ${(stageMs / 1000).toFixed(2)} s`)
console.log(`  ratio stage/naive: ${ratio.toFixed(2)} (target <= 0.60) ${ratio <= 0.6 ? 'MET' : 'NOT MET'}`)
