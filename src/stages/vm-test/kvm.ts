// Makes NixOS VM tests runnable: a /dev/kvm the build users may open, and a Nix that schedules
// derivations requiring `kvm` and `nixos-test`. Confirmed by Nix itself: its config view and a
// probe build that requires the features and opens /dev/kvm inside the sandbox.
import { KVM_UDEV_RULE, KVM_UDEV_RULE_FILE } from '../../explain/advice.js'
import { platformRefusal } from '../../nix/messages.js'
import { randomBytes } from 'node:crypto'
import { access, constants, stat } from 'node:fs/promises'
import { readNixConfig } from '../../nix/config.js'
import { stripAnsi } from '../../nix/internal-json.js'
import { NixRunner } from '../../nix/runner.js'
import type { Reporter } from '../../report/reporter.js'
import { HostFacts, runAsRoot } from '../../setup/host.js'
import { applyNixSettings } from '../../setup/nix-settings.js'

export const KVM_FEATURES = ['kvm', 'nixos-test'] as const
/** GitHub's documented rule for hosted runners: /dev/kvm for every user. */
export { KVM_UDEV_RULE, KVM_UDEV_RULE_FILE }

const KVM_FIX =
  'add a step before nix-ci that runs ' +
  `\`echo '${KVM_UDEV_RULE}' | sudo tee /etc/udev/rules.d/${KVM_UDEV_RULE_FILE} && sudo udevadm control --reload-rules && sudo udevadm trigger --name-match=kvm\``

export class KvmError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KvmError'
  }
}

/** This machine has no /dev/kvm at all (some arm64 runners, nested VMs without virtualisation). */
export class KvmUnavailableError extends KvmError {
  constructor(device: string) {
    super(
      `${device} does not exist on this runner, so NixOS VM tests cannot run: without KVM, QEMU would emulate the ` +
        'whole machine and the test would crawl for hours. Run the VM test on a runner with KVM ' +
        "(GitHub's `ubuntu-24.04` and `ubuntu-24.04-arm` runners have it), or set `vm-test: off` here."
    )
    this.name = 'KvmUnavailableError'
  }
}

/** The shell the probe derivation runs: a Nix expression for the builder, and its leading args. */
export interface ProbeShell {
  builder: string
  args: string[]
}

/** `/bin/sh` is in the sandbox of every official Nix install (sandbox-paths); Debian's nix-bin lacks it. */
export const DEFAULT_PROBE_SHELL: ProbeShell = { builder: '"/bin/sh"', args: [] }

export interface KvmSetupOptions {
  nix: NixRunner
  facts: HostFacts
  reporter: Reporter
  /** The KVM device (tests point it elsewhere). */
  device?: string
  udevRulesDir?: string
  probeShell?: ProbeShell
}

export interface KvmSetup {
  /** The runner to build with: carries the features when Nix accepts them per call. */
  nix: NixRunner
  /** How /dev/kvm became usable by the build users. */
  device: 'already-usable' | 'udev-rule' | 'chmod'
  /** How the features were put in place. */
  features: 'already-enabled' | 'client-settings' | 'nix.conf'
  /** `opened`: the probe opened /dev/kvm in the sandbox; `scheduled`: Nix accepted it, no shell to open it. */
  probe: 'opened' | 'scheduled'
}

export async function setUpKvm(options: KvmSetupOptions): Promise<KvmSetup> {
  const { facts, reporter } = options
  const device = await ensureKvmDevice(facts, reporter, options.device ?? '/dev/kvm', options.udevRulesDir ?? '/etc/udev/rules.d')
  const config = await readNixConfig(options.nix)
  const missing = KVM_FEATURES.filter(f => !config.systemFeatures.includes(f))
  let nix = options.nix
  let features: KvmSetup['features'] = 'already-enabled'
  if (missing.length > 0) {
    const applied = await applyNixSettings(nix, facts, reporter, {
      settings: `extra-system-features = ${KVM_FEATURES.join(' ')}`,
      purpose: 'NixOS VM tests',
      withoutThem: 'the VM test would never be scheduled',
      error: message => new KvmError(message),
      config,
      daemonOnly: true
    })
    nix = applied.nix
    features = applied.how
  }
  await confirmKvmFeatures(nix)
  const probe = await probeKvm(nix, config.system, options.probeShell ?? DEFAULT_PROBE_SHELL)
  return { nix, device, features, probe }
}

/** Makes the device usable by every user (Nix's build users included), as GitHub documents it. */
export async function ensureKvmDevice(
  facts: HostFacts,
  reporter: Reporter,
  device: string,
  udevRulesDir: string
): Promise<KvmSetup['device']> {
  const mode = await deviceMode(device)
  if (mode === undefined) throw new KvmUnavailableError(device)
  if ((mode & 0o006) === 0o006) return 'already-usable'
  if (!facts.canSudo) {
    // Maybe this user's builds may open it anyway (single-user Nix, user in the kvm group): the probe says.
    reporter.warning(
      `${device} is mode ${octal(mode)}, so Nix's build users may not open it, and nix-ci cannot change that ` +
        `(user '${facts.user}' has no passwordless sudo). If the VM test fails to start QEMU: ${KVM_FIX}.`
    )
    return 'already-usable'
  }
  const udevadm = await facts.run('udevadm', ['--version'])
  if (udevadm.code === 0 && (await isDirectory(udevRulesDir))) {
    reporter.info(`Making ${device} usable by Nix's build users: udev rule ${udevRulesDir}/${KVM_UDEV_RULE_FILE}`)
    const rule = `${KVM_UDEV_RULE}\n`
    const write = await runAsRoot(facts, 'sh', ['-c', 'printf "%s" "$1" > "$2"', 'sh', rule, `${udevRulesDir}/${KVM_UDEV_RULE_FILE}`])
    if (write.code !== 0) throw new KvmError(`Cannot write the KVM udev rule: ${write.stderr.trim()}. To fix: ${KVM_FIX}.`)
    await runAsRoot(facts, 'udevadm', ['control', '--reload-rules'])
    await runAsRoot(facts, 'udevadm', ['trigger', '--name-match=kvm'])
    await runAsRoot(facts, 'udevadm', ['settle', '--timeout=10'])
    const after = await deviceMode(device)
    if (after !== undefined && (after & 0o006) === 0o006) return 'udev-rule'
  }
  // No udev (a container, a chroot): the same permission, set directly; it lasts until reboot.
  reporter.info(`Making ${device} usable by Nix's build users: chmod 0666 (no udev here to apply a rule)`)
  const chmod = await runAsRoot(facts, 'chmod', ['0666', device])
  const after = await deviceMode(device)
  if (chmod.code !== 0 || after === undefined || (after & 0o006) !== 0o006) {
    throw new KvmError(
      `Cannot make ${device} usable by Nix's build users (${chmod.stderr.trim() || `still mode ${octal(after ?? 0)}`}). To fix: ${KVM_FIX}.`
    )
  }
  return 'chmod'
}

/** Nix's own view must list the features, or it will refuse (or never schedule) the test. */
export async function confirmKvmFeatures(nix: NixRunner): Promise<void> {
  const config = await readNixConfig(nix)
  const missing = KVM_FEATURES.filter(f => !config.systemFeatures.includes(f))
  if (missing.length > 0) {
    throw new KvmError(
      `Nix will not run NixOS VM tests here: its system-features (${config.systemFeatures.join(' ') || 'none'}) lack ${missing.join(', ')}. ` +
        `To fix: add \`extra-system-features = ${KVM_FEATURES.join(' ')}\` to nix.conf (cachix/install-nix-action: ` +
        `\`extra_nix_config: system-features = nixos-test benchmark big-parallel kvm\`) and restart the Nix daemon.`
    )
  }
}

/**
 * Builds a derivation that requires the features and opens /dev/kvm for reading and writing in the
 * sandbox. A refusal or a permission error is fatal; a missing probe shell leaves only the
 * scheduling proven.
 */
export async function probeKvm(nix: NixRunner, system: string, shell: ProbeShell): Promise<KvmSetup['probe']> {
  const nonce = randomBytes(6).toString('hex')
  const script = 'exec 3<>/dev/kvm && echo opened > $out'
  const args = [...shell.args, '-c', script].map(a => JSON.stringify(a)).join(' ')
  const expr =
    `derivation { name = "nix-ci-kvm-probe-${nonce}"; system = ${JSON.stringify(system)}; builder = ${shell.builder}; ` +
    `args = [ ${args} ]; requiredSystemFeatures = [ ${KVM_FEATURES.map(f => `"${f}"`).join(' ')} ]; }`
  const lines: string[] = []
  const result = await nix.run({
    args: ['build', '--no-link', '--impure', '--expr', expr],
    onLine: line => {
      if (line.stream === 'stderr' && lines.length < 200) lines.push(stripAnsi(line.text))
    }
  })
  if (result.exitCode === 0) return 'opened'
  const refusal = platformRefusal(lines)
  if (refusal !== undefined) {
    throw new KvmError(
      `Nix refuses derivations that need ${KVM_FEATURES.join(' and ')} even after configuration. Nix says: ${refusal.trim()}. ` +
        `To fix: add \`extra-system-features = ${KVM_FEATURES.join(' ')}\` to the Nix daemon's nix.conf and restart it.`
    )
  }
  const denied = lines.find(line => /\/dev\/kvm: (Permission denied|No such file)|can't (create|open) \/dev\/kvm/.test(line))
  if (denied !== undefined) {
    throw new KvmError(`Nix's build sandbox cannot open /dev/kvm (${denied.replace(/^\s*>\s*/, '').trim()}). To fix: ${KVM_FIX}.`)
  }
  return 'scheduled'
}

async function deviceMode(device: string): Promise<number | undefined> {
  try {
    return (await stat(device)).mode & 0o777
  } catch {
    return undefined
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK)
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`
}
