// Benchmarks for scaling past one runner, on the same two-system fixture (a FOD hashing
// BENCH_FOD_MB MiB, a package per system), fresh salt each side so nothing is cached:
// 1. remote builder vs local: aarch64 on a real remote (sshd + its own Nix store, the sid
//    chroot's Nix; it runs aarch64 under its own QEMU on this same machine, so only the remote's
//    overhead is measured) vs the one-job build with aarch64 under QEMU here; plus bytes copied.
// 2. matrix + aggregate vs one job: each system's `matrix: build` job and the `matrix: aggregate`
//    job, through the real artifact client and a local artifact service. The jobs run one after
//    another here; on GitHub the matrix jobs run in parallel, so the matrix wall time is the
//    slowest job plus the aggregate. Here the aarch64 job still uses QEMU (no arm runner), so the
//    ratio is an upper bound of what ubuntu-24.04-arm gives.
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { parseInputs } from '../src/inputs.js'
import { NixRunner } from '../src/nix/runner.js'
import { pathInfo } from '../src/nix/store.js'
import { runPipeline } from '../src/pipeline.js'
import { TerminalReporter } from '../src/report/terminal-reporter.js'
import { runBuildStage } from '../src/stages/build/build-stage.js'
import { startArtifactServer } from '../__tests__/support/artifact-server/index.js'
import { REPO_ROOT, createFixture, hashingFod, testNix } from '../__tests__/support/fixtures.js'
import { startRemoteBuilder } from '../__tests__/support/remote-builder/index.js'

const MEGABYTES = Number(process.env.BENCH_FOD_MB ?? 32)
const SYSTEMS = ['x86_64-linux', 'aarch64-linux']
const quiet = (): TerminalReporter => new TerminalReporter(() => {})
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`

function fixture() {
  const salt = randomBytes(8).toString('hex')
  return createFixture({
    salt,
    systems: SYSTEMS,
    fods: [hashingFod('mast-mix-deps', MEGABYTES, salt)],
    packages: [{ attr: 'mast', fods: ['mast-mix-deps'] }]
  })
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = Date.now()
  const value = await fn()
  return [Date.now() - started, value]
}

// 1. local one-job (QEMU) vs remote builder
const local = fixture()
const [localMs, localResult] = await timed(() =>
  runBuildStage({ flake: local.dir, package: 'default', systems: SYSTEMS, nix: testNix(), reporter: quiet() })
)
if (!localResult.ok) throw new Error('local build failed')
local.cleanup()

const remote = await startRemoteBuilder({ extraPlatforms: ['aarch64-linux'] })
process.env.NIX_SSHOPTS = remote.sshOpts
const viaRemote = fixture()
const localOnly = new NixRunner({ nixConfig: 'sandbox = true\nsubstituters =\nextra-platforms =' })
const [remoteMs, remoteResult] = await timed(() =>
  runBuildStage({
    flake: viaRemote.dir,
    package: 'default',
    systems: SYSTEMS,
    nix: localOnly,
    reporter: quiet(),
    remote: { builders: remote.machine(['aarch64-linux']), sshKey: '', fallback: 'fail' }
  })
)
if (!remoteResult.ok || remoteResult.systems[1].builtOn !== remote.host) throw new Error('remote build failed or did not run remotely')
const storeBytes = (dir: string): number => Number(execFileSync('du', ['-sb', '--apparent-size', dir], { encoding: 'utf8' }).split('\t')[0])
const remoteStoreBytes = storeBytes(remote.storeDir)
const back = await pathInfo(localOnly, remoteResult.systems[1].outPaths)
const backBytes = [...back.values()].reduce((sum, i) => sum + (i.narSize ?? 0), 0)
viaRemote.cleanup()
await remote.stop()

console.log(`remote builder vs local, FOD hashing ${MEGABYTES} MiB, ${SYSTEMS.join(' + ')}`)
console.log(`  one job, aarch64 under QEMU here:          ${seconds(localMs)}, 0 bytes copied`)
console.log(
  `  aarch64 on the remote builder (ssh-ng):    ${seconds(remoteMs)}, ${remoteStoreBytes} bytes in the remote's store after (inputs copied there + its build), ${backBytes} bytes copied back`
)
console.log(
  `  ratio remote/local: ${(remoteMs / localMs).toFixed(2)} (the remote runs QEMU on this same machine: this is its overhead, not native speed)`
)

// 2. matrix + aggregate vs one job
const server = await startArtifactServer()
const inputsFor = (dir: string, values: Record<string, string>) =>
  parseInputs(name => ({ flake: dir, 'vm-test': 'off', cache: 'false', 'fix-hashes': 'report', ...values })[name])
const oneJob = fixture()
const [oneJobMs] = await timed(() =>
  runPipeline(inputsFor(oneJob.dir, { systems: SYSTEMS.join(' ') }), {
    nix: testNix(),
    reporter: quiet(),
    cwd: oneJob.dir,
    actionDir: REPO_ROOT
  })
)
oneJob.cleanup()
const matrix = fixture()
const jobMs: number[] = []
let aggregateMs = 0
let aggregate: Awaited<ReturnType<typeof runPipeline>> | undefined
const stdoutWrite = process.stdout.write.bind(process.stdout)
// The artifact client logs through @actions/core on stdout: kept out of the bench's table.
process.stdout.write = (() => true) as typeof process.stdout.write
try {
  for (const system of SYSTEMS) {
    Object.assign(process.env, server.jobEnv(`build-${system}`))
    const [ms, r] = await timed(() =>
      runPipeline(inputsFor(matrix.dir, { systems: system, matrix: 'build' }), {
        nix: testNix(),
        reporter: quiet(),
        cwd: matrix.dir,
        actionDir: REPO_ROOT
      })
    )
    if (!r.ok) throw new Error(`matrix job ${system} failed: ${r.failures.join('; ')}`)
    jobMs.push(ms)
  }
  Object.assign(process.env, server.jobEnv('aggregate'))
  ;[aggregateMs, aggregate] = await timed(() =>
    runPipeline(inputsFor(matrix.dir, { systems: SYSTEMS.join(' '), matrix: 'aggregate' }), {
      nix: testNix(),
      reporter: quiet(),
      cwd: matrix.dir,
      actionDir: REPO_ROOT
    })
  )
} finally {
  process.stdout.write = stdoutWrite
}
if (!aggregate?.ok) throw new Error(`aggregate failed: ${aggregate?.failures.join('; ')}`)
const artifactBytes = server.artifacts.reduce((sum, a) => sum + (a.size ?? 0), 0)
matrix.cleanup()
await server.stop()
const parallel = Math.max(...jobMs) + aggregateMs
console.log(`matrix + aggregate vs one job (same fixture)`)
console.log(`  one job, both systems (aarch64 under QEMU):  ${seconds(oneJobMs)}`)
console.log(
  `  matrix jobs: ${SYSTEMS.map((s, i) => `${s} ${seconds(jobMs[i])}`).join(', ')}; aggregate ${seconds(aggregateMs)}; ${artifactBytes} artifact bytes`
)
console.log(
  `  ratio matrix(parallel: slowest job + aggregate)/one job: ${(parallel / oneJobMs).toFixed(2)}; sequential sum/one job: ${((jobMs.reduce((a, b) => a + b, 0) + aggregateMs) / oneJobMs).toFixed(2)}`
)
console.log(`  aggregation cost: ${seconds(aggregateMs)} = ${((aggregateMs / parallel) * 100).toFixed(1)} % of the matrix wall time`)
