// The build stage's set-up, once per run: Nix's version and config, the remote builders, and QEMU
// emulation for the systems neither this machine nor a builder builds natively.
import { NixConfigView, readNixConfig } from '../../nix/config.js'
import type { NixRunner } from '../../nix/runner.js'
import { EmulationError, setUpEmulation } from '../../setup/emulation.js'
import { detectHostFacts } from '../../setup/host.js'
import { applyNixSettings, clientSettingsTakeEffect } from '../../setup/nix-settings.js'
import { SystemPlan, planSystems } from '../../setup/platforms.js'
import { CheckedBuilder, RemoteBuilders, RemoteBuildersRequest, checkRemoteBuilders } from '../../setup/remote-builders.js'
import type { BuildStageOptions } from './build-stage.js'
import type { BuildSetUp } from './types.js'

/**
 * Nix's version and config, and QEMU emulation for the emulated systems: once per run. Later
 * builds of the same run (fix-hashes rounds) pass the first one's set-up back in.
 */
export async function setUpBuild(options: BuildStageOptions): Promise<BuildSetUp> {
  const { reporter } = options
  if (options.setUp) {
    reporter.info(`Set up as for the first build of this run (Nix ${options.setUp.nixVersion} on ${options.setUp.config.system})`)
    return options.setUp
  }
  // The config first: it asks for the version itself, beside its own call (config.ts).
  const config = await readNixConfig(options.nix)
  const nixVersion = await options.nix.version()
  return reporter.group('Set up: host, remote builders, QEMU emulation, Nix platforms', async () => {
    const foreign = planSystems(options.systems, config.system)
      .filter(p => p.mode !== 'native')
      .map(p => p.system)
    const remote = options.remote && foreign.length > 0 ? await checkBuilders(options, options.remote, config, foreign) : undefined
    const plans = planSystems(options.systems, config.system, remote?.offered)
    reporter.info(`Nix ${nixVersion} on ${config.system}; building ${plans.map(describePlan).join(', ')}`)
    let base = options.nix
    // Through the daemon, once more only when the probes left out a machine or system it was first
    // given (an empty setting then clears them, so Nix never waits on a refusal).
    if (remote && remote.source === 'input' && remote.setting !== (remote.written ?? '')) {
      base = await applyBuilders(options, remote.setting, config)
    }
    // With builders configured and remote-fallback: fail, a system none of them builds is an error, not QEMU.
    const remoteErrors: Record<string, string> = {}
    if (remote && remote.fallback === 'fail') {
      for (const plan of plans.filter(p => p.mode === 'emulated')) remoteErrors[plan.system] = noBuilderFor(plan.system, remote.builders)
    }
    const withRemote = { nixVersion, config, nix: base, ...(remote ? { remote, remoteErrors } : {}) }
    const emulated = plans.filter(p => p.mode !== 'emulated' || remoteErrors[p.system] === undefined)
    if (!emulated.some(p => p.mode === 'emulated')) return withRemote
    try {
      const facts = options.hostFacts ?? (await detectHostFacts())
      const setup = await setUpEmulation(emulated, base, facts, reporter, config)
      for (const [system, handler] of Object.entries(setup.handlers)) {
        reporter.info(`${system}: QEMU handler ${handler.name} (${handler.interpreter}, flags ${handler.flags || 'none'})`)
      }
      reporter.info(
        setup.how === 'already-configured'
          ? "Nix accepts the emulated systems (its own config lists them, and this client's settings are the ones its builds get)"
          : `Nix accepts the emulated systems (settings applied via ${setup.how}; confirmed by a probe build)`
      )
      return { ...withRemote, nix: setup.nix }
    } catch (error) {
      if (!(error instanceof EmulationError)) throw error
      reporter.error(error.message, { title: 'QEMU emulation unavailable' })
      return { ...withRemote, emulationError: error.message }
    }
  })
}

/** The remote builders checked; through a daemon that ignores this client's `builders`, via its nix.conf. */
async function checkBuilders(
  options: BuildStageOptions,
  request: RemoteBuildersRequest,
  config: NixConfigView,
  wanted: string[]
): Promise<RemoteBuilders | undefined> {
  const { reporter } = options
  const facts = request.builders.trim() !== '' ? (options.hostFacts ?? (await detectHostFacts())) : undefined
  // Only where nix.conf can be written: without sudo the probes run as before, and their refusal
  // says to add the user to trusted-users or to configure the builders in the daemon's nix.conf.
  const viaDaemon = facts !== undefined && facts.canSudo && !(await clientSettingsTakeEffect(config, facts))
  return checkRemoteBuilders(request, {
    nix: options.nix,
    config,
    reporter,
    wanted,
    signal: options.signal,
    ...(viaDaemon ? { writeToDaemon: async (setting: string) => void (await applyBuilders(options, setting, config)) } : {})
  })
}

/** `builders = …` for Nix: per call when it takes client settings, else in the daemon's nix.conf. */
async function applyBuilders(options: BuildStageOptions, setting: string, config: NixConfigView): Promise<NixRunner> {
  const facts = options.hostFacts ?? (await detectHostFacts())
  const applied = await applyNixSettings(options.nix, facts, options.reporter, {
    settings: `builders = ${setting}`,
    purpose: 'remote builders',
    withoutThem: 'the remote systems would not be built there',
    error: message => new Error(message),
    config
  })
  return applied.nix
}

export function describePlan(plan: SystemPlan): string {
  return plan.mode === 'impossible'
    ? `${plan.system} (impossible here)`
    : plan.mode === 'remote'
      ? `${plan.system} (remote: ${plan.host})`
      : `${plan.system} (${plan.mode})`
}

function noBuilderFor(system: string, builders: CheckedBuilder[]): string {
  const reasons = builders.map(b =>
    b.reachable ? `${b.host} ${b.refused.find(r => r.system === system)?.reason ?? `does not offer ${system}`}` : `${b.host} is ${b.error}`
  )
  return (
    `No remote builder builds ${system} (${reasons.join('; ')}), and 'remote-fallback' is 'fail'. ` +
    `To fix: add a builder that offers ${system} to 'builders' (and check it is reachable), or set 'remote-fallback: emulate' to build it under QEMU here.`
  )
}
