// The two ways of fixing k stale hashes that the fix-hashes benchmarks compare, on any flake dir:
// nix-ci's pipeline (fix-hashes stage) and a one-hash-per-rebuild loop (build, fix the first
// mismatch, build again), as single-hash tools do.
import { parseInputs } from '../../src/inputs.js'
import { locateStaleHash } from '../../src/hashes/locate.js'
import { readTrackedTextFiles } from '../../src/hashes/repo-files.js'
import { MismatchParser, isActionable } from '../../src/hashes/mismatch-parser.js'
import { patchStaleHashes } from '../../src/hashes/patch.js'
import { NixCall, NixRunner } from '../../src/nix/runner.js'
import { runPipeline } from '../../src/pipeline.js'
import { describeTiming } from '../../src/report/timing.js'
import { TerminalReporter } from '../../src/report/terminal-reporter.js'
import { REPO_ROOT } from '../../__tests__/support/fixtures.js'

export interface FixRun {
  builds: number
  evals: number
  ms: number
  breakdown: string[]
}

export async function fixWithStage(dir: string, k: number, nixConfig: string, systems = 'x86_64-linux'): Promise<FixRun> {
  const calls: NixCall[] = []
  const inputs = parseInputs(name => ({ systems, 'fix-hashes': 'write', 'vm-test': 'off', cache: 'false' })[name])
  const started = Date.now()
  const result = await runPipeline(inputs, {
    nix: new NixRunner({ nixConfig, callLog: calls }),
    reporter: new TerminalReporter(() => {}),
    cwd: dir,
    actionDir: REPO_ROOT
  })
  const ms = Date.now() - started
  if (result.hashes?.fixes.length !== k)
    throw new Error(`stage fixed ${result.hashes?.fixes.length} of ${k}: ${result.failures.join('; ')}`)
  return {
    builds: calls.filter(c => c.command === 'build').length,
    evals: calls.filter(c => c.command === 'eval').length,
    ms,
    breakdown: describeTiming(result.build?.phases ?? [], calls)
  }
}

export async function fixOneHashPerRebuild(dir: string, installable: string, nixConfig: string): Promise<FixRun> {
  const nix = new NixRunner({ nixConfig })
  let builds = 0
  const started = Date.now()
  for (;;) {
    const parser = new MismatchParser({ trust: 'internal-json-only' })
    builds++
    const run = await nix.run({
      args: ['build', '--no-link', '--log-format', 'internal-json', `${dir}#${installable}`],
      onLine: parser.onLine
    })
    if (run.exitCode === 0) break
    const first = parser.finish().mismatches.find(isActionable)
    if (!first) throw new Error('one-hash-per-rebuild loop: build failed without a mismatch')
    const location = locateStaleHash(await readTrackedTextFiles(dir), first)
    if (location.kind !== 'found') throw new Error(location.message)
    patchStaleHashes(dir, [{ occurrence: location.occurrence, got: first.got }])
  }
  // Each of its builds evaluates the flake once.
  return { builds, evals: builds, ms: Date.now() - started, breakdown: [] }
}
