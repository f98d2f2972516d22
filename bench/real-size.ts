// Benchmark: nix-ci at the size of real flakes, on a generated nixpkgs-like flake (bench/support/
// nixpkgs-like.ts: a bootstrap chain, layers of shared dependencies, a few fixed-output sources,
// a tunable evaluation cost of about 2 s at 2,000 derivations). Everything side by side in one
// run, on fresh derivations each side. Prints ratios:
//   1. build-stage overhead: the stage against a bare `nix build --keep-going` of the same
//      package: cold at N = 500 (every derivation built, ~30 ms each on 2 cores), warm at N = 500
//      and 2,000, and at 10,000 with BENCH_LARGE=1 (its evaluation alone takes ~10 s a call), or
//      only warm, at the sizes of BENCH_WARM_SIZES=10000 (a comma list).
//      Target <= 1.10.
//   2. P1b: the two-system stage against the physical limit (native FODs, then the native build,
//      then the emulated build, each timed alone). Target <= 1.2.
//   3. P2 with a real evaluation cost: fix-hashes against one-hash-per-rebuild, k = 1, 3, 5.
//      Targets: wall <= 1.0 at k = 1, <= 2/(k+1) + 0.1 at k >= 3.
//   4. memory: the peak RSS of reading a 10,000-derivation closure's graph, from its .drv files
//      and from `derivation show -r`. Target < 256 MB.
import { execFileSync } from 'node:child_process'
import { NixCall, NixRunner } from '../src/nix/runner.js'
import { isFixedOutput, showDerivationClosure } from '../src/nix/store.js'
import { describeTiming } from '../src/report/timing.js'
import { TerminalReporter } from '../src/report/terminal-reporter.js'
import { runBuildStage } from '../src/stages/build/build-stage.js'
import { evaluatePackages } from '../src/stages/build/evaluate.js'
import { drvInstallable } from '../src/stages/build/realise.js'
import { TEST_NIX_CONFIG } from '../__tests__/support/fixtures.js'
import { fixOneHashPerRebuild, fixWithStage } from './support/fix-hashes-runs.js'
import { nixpkgsLike } from './support/nixpkgs-like.js'

// A CI runner starts with an empty evaluation cache: neither side may skip evaluating.
const NIX_CONFIG = `${TEST_NIX_CONFIG}\nmax-jobs = 2\neval-cache = false`
const X86 = ['x86_64-linux']
const BOTH = ['x86_64-linux', 'aarch64-linux']
// About 2 s of evaluation at N = 2,000, with instantiating the derivations.
const evalCost = (n: number) => Math.round(n * 0.6)
const WARM_RUNS = 7
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const verdict = (ratio: number, target: number) =>
  `${ratio.toFixed(2)} (target <= ${target.toFixed(2)}) ${ratio <= target ? 'MET' : 'NOT MET'}`

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now()
  const value = await fn()
  return { value, ms: Date.now() - started }
}

async function bareBuild(dir: string, system: string, nixConfig = NIX_CONFIG): Promise<number> {
  const nix = new NixRunner({ nixConfig })
  const tail: string[] = []
  const onLine = (line: { text: string }) => {
    tail.push(line.text)
    if (tail.length > 15) tail.shift()
  }
  const { value, ms } = await timed(() =>
    nix.run({ args: ['build', '--no-link', '--keep-going', `${dir}#packages.${system}.default`], onLine })
  )
  if (value.exitCode !== 0) throw new Error(`bare nix build of ${dir} failed:\n${tail.join('\n')}`)
  return ms
}

async function stageBuild(dir: string, systems: string[]): Promise<{ ms: number; breakdown: string[] }> {
  const calls: NixCall[] = []
  const nix = new NixRunner({ nixConfig: NIX_CONFIG, callLog: calls })
  const { value, ms } = await timed(() =>
    runBuildStage({ flake: dir, package: 'default', systems, nix, reporter: new TerminalReporter(() => {}) })
  )
  if (!value.ok) throw new Error(`stage build failed: ${value.systems.map(s => `${s.system} ${s.error ?? ''}`).join('; ')}`)
  return { ms, breakdown: describeTiming(value.phases, calls) }
}

/** Cold: fresh derivations each side, so both build everything. */
async function coldOverhead(n: number): Promise<void> {
  const spec = { derivations: n, systems: X86, sources: 5, evalCost: evalCost(n) }
  const bare = nixpkgsLike(spec)
  const ours = nixpkgsLike(spec)
  try {
    const bareMs = await bareBuild(bare.dir, X86[0])
    const stage = await stageBuild(ours.dir, X86)
    console.log(`  N=${n} cold: bare ${seconds(bareMs)}, stage ${seconds(stage.ms)}, ratio ${verdict(stage.ms / bareMs, 1.1)}`)
  } finally {
    bare.cleanup()
    ours.cleanup()
  }
}

/**
 * Warm: one flake, filled once, then each side on it with everything in the store (a CI run after a
 * cache restore): what remains is evaluation and the stage's own queries, the worst case for its
 * overhead. Evaluated afresh by both (eval-cache = false: a runner starts with an empty one).
 */
async function warmOverhead(n: number): Promise<void> {
  const flake = nixpkgsLike({ derivations: n, systems: X86, sources: 5, evalCost: evalCost(n) })
  try {
    const buildMs = await fill(flake.dir)
    // Seven of each, alternating: one warm run takes about a second, and on this machine the same
    // command varies by a quarter from run to run. The medians are compared; every run is printed.
    const bares: number[] = []
    const stages: { ms: number; breakdown: string[] }[] = []
    for (let run = 0; run < WARM_RUNS; run++) {
      bares.push(await bareBuild(flake.dir, X86[0]))
      stages.push(await stageBuild(flake.dir, X86))
    }
    const bareMs = median(bares)
    const stage = stages.find(s => s.ms === median(stages.map(r => r.ms))) as { ms: number; breakdown: string[] }
    const runs = `bare ${bares.map(seconds).join(' ')}, stage ${stages.map(r => seconds(r.ms)).join(' ')}`
    console.log(
      `  N=${n} warm (filled in ${seconds(buildMs)}; ${runs}): median bare ${seconds(bareMs)}, stage ${seconds(stage.ms)}, ratio ${verdict(stage.ms / bareMs, 1.1)}, stage's own ${seconds(stage.ms - bareMs)}`
    )
    for (const line of stage.breakdown) console.log(`      stage ${line}`)
  } finally {
    flake.cleanup()
  }
}

/**
 * Everything built once, before either side is measured: without the sandbox (its set-up is most
 * of a trivial build's time; the outputs are the same paths), and bottom-up in calls of at most
 * FILL_CHUNK derivations. One call of 10,000 grows Nix's heap to gigabytes, and each build's fork
 * copies it: it was still going at 3.5 builds a second after 12 minutes.
 */
async function fill(dir: string): Promise<number> {
  const started = Date.now()
  const nix = new NixRunner({ nixConfig: `${NIX_CONFIG}\nsandbox = false` })
  const version = await nix.version()
  const [top] = await evaluatePackages(nix, dir, X86, 'default')
  const drvs = await showDerivationClosure(nix, [top.drvPath])
  for (const chunk of chunks(bottomUp(drvs), FILL_CHUNK)) {
    const run = await nix.run({ args: ['build', '--no-link', '--keep-going', ...chunk.map(d => drvInstallable(d, version))] })
    if (run.exitCode !== 0) throw new Error(`filling ${dir} failed (exit ${run.exitCode})`)
  }
  return Date.now() - started
}

const FILL_CHUNK = 500

/** The derivations, each after all of its inputs. */
function bottomUp(drvs: Map<string, { inputDrvs: string[] }>): string[] {
  const order: string[] = []
  const done = new Set<string>()
  const visit = (root: string) => {
    const stack: [string, boolean][] = [[root, false]]
    while (stack.length > 0) {
      const [drv, expanded] = stack.pop() as [string, boolean]
      if (done.has(drv)) continue
      if (expanded) {
        done.add(drv)
        order.push(drv)
        continue
      }
      stack.push([drv, true])
      for (const input of drvs.get(drv)?.inputDrvs ?? []) if (!done.has(input)) stack.push([input, false])
    }
  }
  for (const drv of drvs.keys()) visit(drv)
  return order
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))
}

async function p1b(): Promise<void> {
  const spec = { derivations: 150, systems: BOTH, sources: 2, sourceMegabytes: 32, evalCost: 0 }
  const limit = nixpkgsLike(spec)
  const ours = nixpkgsLike(spec)
  try {
    const nix = new NixRunner({ nixConfig: NIX_CONFIG })
    const version = await nix.version()
    const evaluated = await evaluatePackages(nix, limit.dir, BOTH, 'default')
    const drvs = await showDerivationClosure(
      nix,
      evaluated.map(e => e.drvPath)
    )
    const nativeFods = [...drvs.values()].filter(d => d.system === 'x86_64-linux' && isFixedOutput(d)).map(d => d.drvPath)
    const realise = async (paths: string[]) =>
      (await timed(() => nix.run({ args: ['build', '--no-link', '--keep-going', ...paths.map(p => drvInstallable(p, version))] }))).ms
    const fodsMs = await realise(nativeFods)
    const nativeMs = await realise([evaluated[0].drvPath])
    const emulatedMs = await realise([evaluated[1].drvPath])
    const sum = fodsMs + nativeMs + emulatedMs
    const stage = await stageBuild(ours.dir, BOTH)
    console.log(
      `  P1b, ${drvs.size} derivations over 2 systems: native FODs ${seconds(fodsMs)} + native build ${seconds(nativeMs)} + emulated build ${seconds(emulatedMs)} = ${seconds(sum)}; ` +
        `stage ${seconds(stage.ms)}; ratio ${verdict(stage.ms / sum, 1.2)}`
    )
    for (const line of stage.breakdown) console.log(`      stage ${line}`)
  } finally {
    limit.cleanup()
    ours.cleanup()
  }
}

async function p2(): Promise<void> {
  const n = 300
  for (const k of [1, 3, 5]) {
    const spec = { derivations: n, systems: X86, sources: 5, staleSources: k, evalCost: 1500 }
    const naiveFlake = nixpkgsLike(spec)
    const ourFlake = nixpkgsLike(spec)
    try {
      const naive = await fixOneHashPerRebuild(naiveFlake.dir, 'packages.x86_64-linux.default', NIX_CONFIG)
      const ours = await fixWithStage(ourFlake.dir, k, NIX_CONFIG)
      const target = k === 1 ? 1 : 2 / (k + 1) + 0.1
      console.log(
        `  P2 k=${k} (N=${n}, evaluation ~2 s): one-hash-per-rebuild ${naive.builds} builds, ${seconds(naive.ms)} | ` +
          `stage ${ours.builds} builds + ${ours.evals} evals, ${seconds(ours.ms)} | wall ${verdict(ours.ms / naive.ms, target)}`
      )
      for (const line of ours.breakdown) console.log(`      stage ${line}`)
    } finally {
      naiveFlake.cleanup()
      ourFlake.cleanup()
    }
  }
}

function memory(): void {
  const flake = nixpkgsLike({ derivations: 10_000, systems: X86, sources: 5, evalCost: 0 })
  try {
    // Both ways the action reads a graph: its .drv files, and Nix's JSON when they cannot be used.
    for (const how of ['files', 'nix']) {
      // A child process of its own, so its peak RSS is this read's alone.
      const out = execFileSync('node', ['scripts/run-ts.mjs', 'bench/support/derivation-show-memory.ts', flake.dir, NIX_CONFIG, how], {
        encoding: 'utf8',
        maxBuffer: 1 << 24
      })
      const r = JSON.parse(out.trim().split('\n').pop() as string) as { drvs: number; ms: number; baseMb: number; peakMb: number }
      const what = how === 'files' ? 'the .drv files' : 'nix derivation show -r'
      console.log(
        `  memory: ${what}, ${r.drvs} derivations read in ${seconds(r.ms)}; peak RSS ${r.peakMb.toFixed(0)} MB (${r.baseMb.toFixed(0)} MB before) ${r.peakMb < 256 ? 'MET' : 'NOT MET'} (target < 256 MB)`
      )
    }
  } finally {
    flake.cleanup()
  }
}

// BENCH_ONLY=1,2 runs those parts alone (1 overhead, 2 P1b, 3 P2, 4 memory).
const only = (part: string) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(part)
console.log(`real-size flakes on Nix ${await new NixRunner().version()}, max-jobs = 2`)
if (only('1')) {
  console.log('1. build-stage overhead against a bare nix build --keep-going')
  // BENCH_WARM_SIZES=10000 (a comma list): only the warm runs, at those sizes.
  const sizes = process.env.BENCH_WARM_SIZES?.split(',').map(Number)
  if (!sizes) await coldOverhead(500)
  for (const n of sizes ?? (process.env.BENCH_LARGE ? [500, 2000, 10_000] : [500, 2000])) await warmOverhead(n)
}
if (only('2')) {
  console.log('2. the two-system build against the physical limit')
  await p1b()
}
if (only('3')) {
  console.log('3. fix-hashes with a real evaluation cost')
  await p2()
}
if (only('4')) {
  console.log('4. memory')
  memory()
}
