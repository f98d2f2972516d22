// Which requested systems this runner builds natively, which on a remote builder that confirmed
// it builds them, which under QEMU user emulation, and which not at all (with the runner that would).

export type BuildMode = 'native' | 'emulated' | 'remote'

export type SystemPlan =
  | { system: string; mode: 'native' }
  | { system: string; mode: 'emulated'; qemuArch: string }
  | { system: string; mode: 'remote'; host: string }
  | { system: string; mode: 'impossible'; reason: string }

/** QEMU's name for the CPU of each Linux system (the binfmt handler is `qemu-<arch>`). */
export const QEMU_ARCH: Record<string, string> = {
  'x86_64-linux': 'x86_64',
  'aarch64-linux': 'aarch64',
  'i686-linux': 'i386',
  'armv6l-linux': 'arm',
  'armv7l-linux': 'arm',
  'riscv64-linux': 'riscv64',
  'powerpc64le-linux': 'ppc64le',
  's390x-linux': 's390x',
  'loongarch64-linux': 'loongarch64'
}

/** Systems a host CPU runs without emulation. */
const NATIVE_ALSO: Record<string, string[]> = {
  'x86_64-linux': ['i686-linux']
}

const DARWIN_RUNNER: Record<string, string> = {
  'aarch64-darwin': '`macos-latest` (Apple silicon)',
  'x86_64-darwin': '`macos-13` (Intel)'
}

export function planSystem(system: string, host: string): SystemPlan {
  if (system === host || (NATIVE_ALSO[host] ?? []).includes(system)) return { system, mode: 'native' }
  const [, hostKernel] = host.split('-')
  const [, kernel] = system.split('-')
  if (kernel === 'darwin') {
    return {
      system,
      mode: 'impossible',
      reason: `${system} cannot be built on a ${host} runner: macOS binaries need a macOS builder. Build ${system} in a job on ${DARWIN_RUNNER[system] ?? 'a macOS runner'}, and drop it from 'systems' here.`
    }
  }
  if (hostKernel !== 'linux' || QEMU_ARCH[system] === undefined) {
    return {
      system,
      mode: 'impossible',
      reason: `${system} cannot be emulated on a ${host} runner: build it in a job on a Linux runner of that architecture (for aarch64-linux: \`ubuntu-24.04-arm\`).`
    }
  }
  return { system, mode: 'emulated', qemuArch: QEMU_ARCH[system] }
}

/** `remote`: systems a remote builder confirmed, and its host; they go there rather than under QEMU. */
export function planSystems(systems: string[], host: string, remote: Map<string, string> = new Map()): SystemPlan[] {
  return systems.map(system => {
    const plan = planSystem(system, host)
    const builder = remote.get(system)
    return plan.mode !== 'native' && builder !== undefined ? { system, mode: 'remote', host: builder } : plan
  })
}
