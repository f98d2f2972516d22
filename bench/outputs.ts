// Benchmark: `outputs: all` (evaluation + build of every output, the build stage's one nix eval and
// one nix build) against plain `nix flake check` on the same generated flake: 200 outputs over
// x86_64-linux (native) and aarch64-linux (QEMU), all of them checks so that `nix flake check`
// builds every one too. Each side gets its own salt, so neither finds the other's outputs built.
// Prints both wall times and their ratio. BENCH_OUTPUTS changes the count (default 200).
import { NixRunner } from '../src/nix/runner.js'
import { pathInfo } from '../src/nix/store.js'
import { TerminalReporter } from '../src/report/terminal-reporter.js'
import { runBuildStage } from '../src/stages/build/build-stage.js'
import { parseOutputsSelection } from '../src/stages/build/select.js'
import { TEST_NIX_CONFIG } from '../__tests__/support/fixtures.js'
import { createOutputsFlake } from '../__tests__/support/outputs-fixture.js'

const SYSTEMS = ['x86_64-linux', 'aarch64-linux']
const COUNT = Number(process.env.BENCH_OUTPUTS ?? 200)
const PER_SYSTEM = Math.ceil(COUNT / SYSTEMS.length)

function generatedFlake() {
  // Each check does a little real work (a few busybox processes), like a quick lint or unit test.
  const checks = SYSTEMS.map(
    s =>
      `      checks.${s} = builtins.listToAttrs (builtins.genList (i: { name = "check-\${toString i}"; value = mk "${s}" "check-\${toString i}" "for f in a b c; do echo $f; done | sort > $out"; }) ${PER_SYSTEM});`
  ).join('\n')
  return createOutputsFlake(SYSTEMS, checks)
}

const nix = new NixRunner({ nixConfig: `${TEST_NIX_CONFIG}\nmax-jobs = 2` })
const version = await nix.versionInfo()

/**
 * Plain Nix: `nix flake check` builds the checks of the system it runs as only (2.8 too; 2.14+
 * evaluates the others with --all-systems but still builds only its own), so one call per system.
 * Afterwards every check's output must be in the store, or the baseline did less work than nix-ci.
 */
async function flakeCheck(): Promise<number> {
  const flake = generatedFlake()
  const started = Date.now()
  for (const system of SYSTEMS) {
    const result = await nix.run({ args: ['flake', 'check', '--option', 'system', system, flake.dir] })
    if (result.exitCode !== 0) throw new Error(`nix flake check for ${system} failed (exit ${result.exitCode})`)
  }
  const elapsed = Date.now() - started
  const outs = await nix.run({
    args: [
      'eval',
      '--json',
      `${flake.dir}#checks`,
      '--apply',
      'c: builtins.concatMap (s: map (n: c.${s}.${n}.outPath) (builtins.attrNames c.${s})) (builtins.attrNames c)'
    ],
    captureStdoutBytes: 1 << 20
  })
  const paths = JSON.parse(outs.stdout) as string[]
  const valid = [...(await pathInfo(nix, paths)).values()].filter(p => p.valid).length
  flake.cleanup()
  if (valid !== paths.length) throw new Error(`nix flake check built ${valid} of ${paths.length} checks`)
  return elapsed
}

async function stage(): Promise<{ ms: number; built: number; evalMs: number }> {
  const flake = generatedFlake()
  const started = Date.now()
  const result = await runBuildStage({
    flake: flake.dir,
    package: 'default',
    systems: SYSTEMS,
    nix,
    reporter: new TerminalReporter(() => {}),
    outputs: parseOutputsSelection('all')
  })
  const ms = Date.now() - started
  flake.cleanup()
  const built = result.systems.reduce((n, s) => n + (s.attributes ?? []).filter(a => a.status === 'built').length, 0)
  if (!result.ok || built !== PER_SYSTEM * SYSTEMS.length) {
    const failed = result.systems.flatMap(s => s.attributes ?? []).find(a => a.status !== 'built')
    throw new Error(
      `stage: ${built} of ${PER_SYSTEM * SYSTEMS.length} built; e.g. ${failed?.attrPath}: ${failed?.failures[0]?.message ?? failed?.error}\n${failed?.failures[0]?.tail.join('\n') ?? ''}`
    )
  }
  console.log(`  nix-ci phases: ${result.phases.map(p => `${p.name} ${(p.durationMs / 1000).toFixed(2)} s`).join(', ')}`)
  return { ms, built, evalMs: result.phases.find(p => p.name === 'evaluation')?.durationMs ?? 0 }
}

// The machine is shared (other Nix builds come and go): alternate the sides, and compare sums.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
let checkMs = 0
let oursMs = 0
let evalMs = 0
for (let round = 0; round < ROUNDS; round++) {
  const check = await flakeCheck()
  const ours = await stage()
  console.log(`  round ${round + 1}: nix flake check ${(check / 1000).toFixed(2)} s, nix-ci ${(ours.ms / 1000).toFixed(2)} s`)
  checkMs += check
  oursMs += ours.ms
  evalMs += ours.evalMs
}
const ratio = oursMs / checkMs
console.log(
  `every output: ${PER_SYSTEM * SYSTEMS.length} checks over ${SYSTEMS.join(' + ')} (QEMU for aarch64), Nix ${version.text}, ${ROUNDS} round(s)`
)
console.log(`  nix flake check (once per system):  ${(checkMs / ROUNDS / 1000).toFixed(2)} s per round`)
console.log(
  `  nix-ci outputs: all (eval + build): ${(oursMs / ROUNDS / 1000).toFixed(2)} s per round (evaluation ${(evalMs / ROUNDS / 1000).toFixed(2)} s)`
)
console.log(`  ratio nix-ci/flake-check: ${ratio.toFixed(2)}`)
