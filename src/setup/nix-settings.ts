// Puts nix.conf settings in force for the builds of this run. A trusted client (or a Nix without
// a daemon) passes them per call; for an untrusted user the daemon ignores client settings, so they
// go into nix.conf and the daemon restarts. Callers confirm the result with Nix itself afterwards.
import { NixConfigView, readNixConfig } from '../nix/config.js'
import type { NixRunner } from '../nix/runner.js'
import type { Reporter } from '../report/reporter.js'
import { HostFacts, isTrustedUser, runAsRoot, usesNixDaemon } from './host.js'
import { restartNixDaemon } from './nix-daemon.js'

export interface AppliedSettings {
  /** The runner to build with: carries the settings when Nix accepts them per call. */
  nix: NixRunner
  how: 'client-settings' | 'nix.conf'
}

export interface SettingsRequest {
  /** nix.conf lines, e.g. `extra-platforms = aarch64-linux`. */
  settings: string
  /** What they are for, in the user's words: "QEMU user emulation", "NixOS VM tests". */
  purpose: string
  /** What would silently go wrong without them, for the error message. */
  withoutThem: string
  /** Thrown for a refusal the user must fix (so each stage keeps its own error type). */
  error: (message: string) => Error
  /** Nix's config as the caller already read it (saves a `nix show-config`). */
  config?: NixConfigView
  /**
   * The daemon reads these only from its own nix.conf, even from a trusted client: measured for
   * `system-features` (a trusted client's value shows in its config view, yet the daemon
   * schedules by its own). So through a daemon they always go to nix.conf.
   */
  daemonOnly?: boolean
}

/** Whether settings this client passes (per call, or in NIX_CONFIG) are the ones its builds get. */
export async function clientSettingsTakeEffect(config: NixConfigView, facts: HostFacts, daemonOnly = false): Promise<boolean> {
  if (!(await usesNixDaemon(config.store))) return true
  return !daemonOnly && (facts.isRoot || isTrustedUser(config.trustedUsers, facts.user, facts.groups))
}

export async function applyNixSettings(
  nix: NixRunner,
  facts: HostFacts,
  reporter: Reporter,
  request: SettingsRequest
): Promise<AppliedSettings> {
  const config = request.config ?? (await readNixConfig(nix))
  if (await clientSettingsTakeEffect(config, facts, request.daemonOnly)) {
    return { nix: nix.withConfig(request.settings), how: 'client-settings' }
  }
  const names = [...new Set(request.settings.split('\n').map(line => line.split('=')[0].trim()))].join("', '")
  if (!facts.canSudo) {
    const ignored = request.daemonOnly
      ? 'from every client (the daemon takes it only from its own nix.conf)'
      : `from user '${facts.user}', who is not in trusted-users`
    throw request.error(
      `Nix ignores '${names}' ${ignored}, and nix-ci cannot edit ` +
        `${facts.nixConfPath} (no root, no passwordless sudo), so ${request.withoutThem}. ` +
        `To fix: install Nix with these settings (cachix/install-nix-action: \`extra_nix_config: ${request.settings.replace(/\n/g, '\\n')}\`)` +
        (request.daemonOnly ? '.' : `, or add '${facts.user}' to trusted-users.`)
    )
  }
  const why = request.daemonOnly ? 'takes these settings only from its own nix.conf' : `does not trust '${facts.user}'`
  reporter.info(`Nix daemon ${why}: writing the ${request.purpose} settings to ${facts.nixConfPath} and restarting it`)
  const block = `\n# Added by nix-ci for ${request.purpose}\n${request.settings}\n`
  const append = await runAsRoot(facts, 'sh', ['-c', 'printf "%s" "$1" >> "$2"', 'sh', block, facts.nixConfPath])
  if (append.code !== 0) throw request.error(`Cannot write ${facts.nixConfPath}: ${append.stderr.trim()}`)
  const restart = await restartNixDaemon(facts)
  if (!restart.ok) {
    throw request.error(
      `Wrote ${facts.nixConfPath} but could not restart the Nix daemon (${restart.error}); restart it so the settings take effect.`
    )
  }
  reporter.info(
    `Restarted the Nix daemon (${restart.how === 'systemd' ? 'systemctl restart nix-daemon.service' : 'no systemd: stopped and started its process again'})`
  )
  return { nix, how: 'nix.conf' }
}
