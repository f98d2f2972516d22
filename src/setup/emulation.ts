// Makes foreign Linux systems buildable: a QEMU binfmt_misc handler the Nix sandbox can use, and a
// Nix that accepts the system. Nothing is assumed: Nix itself is asked before any build starts.
import { platformRefusal } from '../nix/messages.js'
import { randomBytes } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { NixConfigView } from '../nix/config.js'
import { NixRunner } from '../nix/runner.js'
import { stripAnsi } from '../nix/internal-json.js'
import type { Reporter } from '../report/reporter.js'
import { HostFacts, runAsRoot } from './host.js'
import { applyNixSettings, clientSettingsTakeEffect } from './nix-settings.js'
import type { SystemPlan } from './platforms.js'

export class EmulationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EmulationError'
  }
}

export interface BinfmtHandler {
  name: string
  enabled: boolean
  interpreter: string
  flags: string
}

const QEMU_ADVICE =
  'add `- uses: docker/setup-qemu-action@v3` before nix-ci (it registers QEMU with the F flag), ' +
  'or build this system on a native runner (for aarch64-linux: `runs-on: ubuntu-24.04-arm`)'

/** The handler that runs binaries of qemuArch, as binfmt_misc lists it. */
export async function findBinfmtHandler(binfmtDir: string, qemuArch: string): Promise<BinfmtHandler | undefined> {
  let names: string[]
  try {
    names = await readdir(binfmtDir)
  } catch {
    return undefined
  }
  for (const name of names.sort()) {
    if (name === 'status' || name === 'register') continue
    let text: string
    try {
      text = await readFile(join(binfmtDir, name), 'utf8')
    } catch {
      continue
    }
    const handler = parseBinfmtHandler(name, text)
    const interpreterName = handler.interpreter.split('/').pop() ?? ''
    const matches =
      name === `qemu-${qemuArch}` || interpreterName.startsWith(`qemu-${qemuArch}`) || interpreterName.startsWith(`${qemuArch}-binfmt`)
    if (matches) return handler
  }
  return undefined
}

export function parseBinfmtHandler(name: string, text: string): BinfmtHandler {
  const field = (key: string): string => new RegExp(`^${key}[: ]\\s*(.*)$`, 'm').exec(text)?.[1].trim() ?? ''
  return { name, enabled: /^enabled$/m.test(text), interpreter: field('interpreter'), flags: field('flags') }
}

async function isBinfmtMounted(binfmtDir: string): Promise<boolean> {
  try {
    await readFile(join(binfmtDir, 'status'), 'utf8')
    return true
  } catch {
    return false
  }
}

/** Registers the QEMU handler for qemuArch from the distribution's packages when it is missing. */
export async function ensureBinfmtHandler(qemuArch: string, system: string, facts: HostFacts, reporter: Reporter): Promise<BinfmtHandler> {
  const existing = await findBinfmtHandler(facts.binfmtDir, qemuArch)
  if (existing?.enabled) return existing
  if (!facts.canSudo) {
    throw new EmulationError(
      `No enabled QEMU binfmt_misc handler for ${system} (qemu-${qemuArch}), and nix-ci cannot register one: ` +
        `user '${facts.user}' is not root and has no passwordless sudo. To fix: ${QEMU_ADVICE}.`
    )
  }
  reporter.info(`Registering QEMU user emulation for ${system} (qemu-${qemuArch})`)
  if (!(await isBinfmtMounted(facts.binfmtDir))) {
    const mount = await runAsRoot(facts, 'mount', ['-t', 'binfmt_misc', 'binfmt_misc', facts.binfmtDir])
    if (mount.code !== 0)
      throw new EmulationError(`Cannot mount binfmt_misc at ${facts.binfmtDir}: ${mount.stderr.trim()}. To fix: ${QEMU_ADVICE}.`)
  }
  let enable = await runAsRoot(facts, 'update-binfmts', ['--enable', `qemu-${qemuArch}`])
  if (enable.code !== 0) {
    // Debian/Ubuntu's qemu-user-static registers its handlers with the F flag on install.
    const install = await runAsRoot(facts, 'apt-get', ['install', '-y', '-q', 'qemu-user-static', 'binfmt-support'])
    if (install.code !== 0) {
      throw new EmulationError(
        `Cannot install qemu-user-static to emulate ${system}: ${install.stderr.trim().split('\n').pop()}. To fix: ${QEMU_ADVICE}.`
      )
    }
    enable = await runAsRoot(facts, 'update-binfmts', ['--enable', `qemu-${qemuArch}`])
  }
  const handler = await findBinfmtHandler(facts.binfmtDir, qemuArch)
  if (!handler?.enabled) {
    throw new EmulationError(
      `Registering qemu-${qemuArch} did not take (${enable.stderr.trim() || 'no handler listed afterwards'}). To fix: ${QEMU_ADVICE}.`
    )
  }
  return handler
}

function alreadyConfigured(config: NixConfigView, systems: string[], handlers: BinfmtHandler[]): boolean {
  const inSandbox = new Set(config.sandboxPaths.map(p => p.replace(/\?$/, '').split('=')[0]))
  return (
    systems.every(s => config.system === s || config.extraPlatforms.includes(s)) &&
    handlers.filter(h => !h.flags.includes('F')).every(h => inSandbox.has(h.interpreter))
  )
}

/** The nix.conf lines that let Nix build these emulated systems with these handlers. */
export function emulationNixConfig(systems: string[], handlers: BinfmtHandler[]): string {
  const lines = [`extra-platforms = ${systems.join(' ')}`]
  // Without F the kernel opens the interpreter inside the sandbox, so it must be visible there.
  const sandboxPaths = handlers.filter(h => !h.flags.includes('F')).map(h => h.interpreter)
  if (sandboxPaths.length > 0) lines.push(`extra-sandbox-paths = ${[...new Set(sandboxPaths)].join(' ')}`)
  return lines.join('\n')
}

export interface EmulationSetup {
  /** The runner to build with: carries the settings when Nix accepts them per call. */
  nix: NixRunner
  handlers: Record<string, BinfmtHandler>
  /** How the settings were put in place, for the log. */
  how: 'none' | 'already-configured' | 'client-settings' | 'nix.conf'
}

/** Prepares every emulated system of the plan, or throws an EmulationError that says what to do. */
export async function setUpEmulation(
  plans: SystemPlan[],
  nix: NixRunner,
  facts: HostFacts,
  reporter: Reporter,
  config?: NixConfigView
): Promise<EmulationSetup> {
  const emulated = plans.filter((p): p is Extract<SystemPlan, { mode: 'emulated' }> => p.mode === 'emulated')
  if (emulated.length === 0) return { nix, handlers: {}, how: 'none' }
  const handlers: Record<string, BinfmtHandler> = {}
  for (const plan of emulated) handlers[plan.system] = await ensureBinfmtHandler(plan.qemuArch, plan.system, facts, reporter)
  const systems = emulated.map(p => p.system)
  const settings = emulationNixConfig(systems, Object.values(handlers))
  // Nix's own view already lists every platform (and any interpreter the sandbox needs), and this
  // client's view is what its builds get: nothing to change, and no probe build to prove it.
  if (config && alreadyConfigured(config, systems, Object.values(handlers)) && (await clientSettingsTakeEffect(config, facts))) {
    return { nix, handlers, how: 'already-configured' }
  }

  const applied = await applyNixSettings(nix, facts, reporter, {
    settings,
    purpose: 'QEMU user emulation',
    withoutThem: `${systems.join(', ')} would silently not be built`,
    error: message => new EmulationError(message),
    config
  })
  const configured = applied.nix
  const how = applied.how
  await confirmPlatforms(configured, systems)
  return { nix: configured, handlers, how }
}

/**
 * Asks Nix whether it would build for each system now: a probe derivation that cannot succeed,
 * whose error tells whether the platform check passed.
 */
export async function confirmPlatforms(nix: NixRunner, systems: string[]): Promise<void> {
  const nonce = randomBytes(6).toString('hex')
  for (const system of systems) {
    const expr = `derivation { name = "nix-ci-platform-probe-${nonce}"; system = ${JSON.stringify(system)}; builder = "/nix-ci/platform-probe"; }`
    const errors: string[] = []
    const result = await nix.run({
      args: ['build', '--no-link', '--impure', '--expr', expr],
      onLine: line => {
        if (line.stream === 'stderr') errors.push(stripAnsi(line.text))
      }
    })
    const refusal = platformRefusal(errors)
    if (refusal !== undefined || result.exitCode === 0) {
      throw new EmulationError(
        `Nix still refuses to build ${system} after configuration, so it would silently build nothing for it. Nix says: ` +
          `${(refusal ?? 'the probe unexpectedly succeeded').trim()}. To fix: make sure 'extra-platforms' includes ${system} ` +
          "in the Nix daemon's nix.conf and restart the daemon, or build on a native runner."
      )
    }
  }
}
