// How the build stage splits its targets into `nix build` calls. One call per system that builds
// on this machine (native first, then each emulated one), one after another; the remote systems
// in one call alongside them, since their builds take no slot here.
// Why not one call for all: Nix (measured on 2.34.8; fixed upstream by NixOS/nix#15611) wakes
// every build waiting for a slot each time one finishes; each retries and grows the nix process's
// heap, which every later fork of a builder copies. In one call with both systems' ready builds
// waiting, the two-system build took about twice the sum of the systems built apart
// (bench/real-size.ts, P1b). Apart, each call has only its own system's builds waiting; on 2.8
// both ways take the same time. The systems of one machine share its slots either way.
import type { NixRunResult } from '../../nix/runner.js'
import type { Reporter } from '../../report/reporter.js'
import type { SystemPlan } from '../../setup/platforms.js'
import type { BuildTarget } from './attributes.js'

export interface BuildCalls {
  /** One group of targets per system built here, in order: native systems first. */
  local: BuildTarget[][]
  /** Every remote system's targets, for one call that runs beside the local ones. */
  remote: BuildTarget[]
}

export function planBuildCalls(targets: BuildTarget[], modeOf: (system: string) => SystemPlan['mode'] | undefined): BuildCalls {
  const remote = targets.filter(t => modeOf(t.system) === 'remote')
  const bySystem = new Map<string, BuildTarget[]>()
  for (const target of targets.filter(t => modeOf(t.system) !== 'remote')) {
    const group = bySystem.get(target.system)
    if (group) group.push(target)
    else bySystem.set(target.system, [target])
  }
  const native = (group: BuildTarget[]) => (modeOf(group[0].system) === 'native' ? 0 : 1)
  // A stable sort: systems of one mode keep the order they were asked in.
  const local = [...bySystem.values()].sort((a, b) => native(a) - native(b))
  return { local, remote }
}

/** For the log group's title: how many calls, and how they run. */
export function describeBuildCalls(calls: BuildCalls): string {
  const local = calls.local.length
  const parts = [local === 1 ? 'one nix build' : local > 1 ? `${local} nix builds, one per system, native first` : '']
  if (calls.remote.length > 0) parts.push(local > 0 ? 'the remote systems in one more beside them' : 'one nix build on the remote builders')
  return parts.filter(Boolean).join('; ')
}

/** Runs the calls (`build` realises a group of targets); none is started once one was cancelled. */
export async function runBuildCalls(
  calls: BuildCalls,
  build: (targets: BuildTarget[]) => Promise<NixRunResult>,
  reporter: Reporter
): Promise<{ cancelled: boolean }> {
  let cancelled = false
  const call = async (targets: BuildTarget[]) => {
    if (cancelled) return
    const run = await build(targets)
    cancelled ||= run.cancelled
    const systems = [...new Set(targets.map(t => t.system))].join(', ')
    reporter.info(`nix build of ${systems} exited with ${run.exitCode ?? run.signal} after ${(run.durationMs / 1000).toFixed(1)} s`)
  }
  const local = async () => {
    for (const group of calls.local) await call(group)
  }
  await Promise.all([local(), calls.remote.length > 0 ? call(calls.remote) : undefined])
  return { cancelled }
}
