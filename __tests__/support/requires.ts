// Tests that need what some machines lack (/dev/kvm, a daemon run) run where it is there. Elsewhere
// they are skipped with the reason in their name, `(skipped: REASON)`: scripts/test.sh lists every
// skip with its reason at the end of the run, and counts a skip without one as a failure.
import { describe, it } from '@jest/globals'
import { existsSync, statSync } from 'node:fs'

export interface Requirement {
  met: boolean
  /** Why the tests are skipped where it is not met. */
  unmet: string
}

export function describeIf(requirement: Requirement, name: string, body: () => void): void {
  if (requirement.met) describe(name, body)
  else describe.skip(`${name} (skipped: ${requirement.unmet})`, body)
}

export function itIf(requirement: Requirement, name: string, body: () => Promise<unknown> | void, timeout?: number): void {
  if (requirement.met) it(name, body as () => Promise<unknown>, timeout)
  else it.skip(`${name} (skipped: ${requirement.unmet})`, body as () => Promise<unknown>)
}

/** A real KVM device, as the action's own check (`stat`) would see it, and a character device. */
export function hasKvmDevice(): boolean {
  try {
    return statSync('/dev/kvm').isCharacterDevice()
  } catch {
    return false
  }
}

export const KVM: Requirement = {
  met: hasKvmDevice(),
  unmet: 'needs /dev/kvm, which this machine lacks'
}

/** The action's no-KVM behaviour, for real: on a KVM machine `npm test -- --ci` runs it with the device hidden. */
export const NO_KVM: Requirement = {
  met: !hasKvmDevice(),
  unmet: 'needs a machine without /dev/kvm: here it runs in the run that hides the device (npm test -- --hide-kvm)'
}

/** The daemon-mode files: the job as the unprivileged `runner` user, Nix through a real nix-daemon. */
export function daemonRun(trust: 'trusted' | 'untrusted'): Requirement {
  return {
    met: process.env.NIX_CI_DAEMON_MODE === trust,
    unmet: `runs only through a nix-daemon, the runner user ${trust} there (npm test -- --nix=2.34 --daemon=${trust})`
  }
}

export const THROUGH_DAEMON: Requirement = {
  met: process.env.NIX_REMOTE === 'daemon',
  unmet: 'runs only through a nix-daemon (npm test -- --nix=2.34 --daemon=trusted)'
}

/** On the host, not in a scripts/nix-world.sh chroot (which stamps its root). */
export const ON_HOST: Requirement = {
  met: !existsSync('/.nix-world-stamp'),
  unmet: 'runs on the host only, where scripts/test.sh uses it (a test-world chroot may lack mount(8))'
}
