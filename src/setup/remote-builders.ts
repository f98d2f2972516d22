// Nix remote builders (`builders = ssh-ng://…`): from the `builders` input or Nix's own config,
// each one checked before anything builds: can Nix open its store, which Nix runs there, and will
// it really build each system we mean to send it (a probe build that must start on that machine).
// Systems a reachable builder confirms are built there by Nix's build hook, not under local QEMU.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ActivityType, parseInternalJsonLine, stripAnsi } from '../nix/internal-json.js'
import type { NixConfigView } from '../nix/config.js'
import { Machine, formatMachine, machineHost, machineStoreUri, parseMachine, splitBuilders } from '../nix/machines.js'
import { platformRefusal } from '../nix/messages.js'
import type { NixRunner } from '../nix/runner.js'
import { pingStore } from '../nix/store-info.js'
import type { Reporter } from '../report/reporter.js'

export const REMOTE_FALLBACKS = ['emulate', 'fail'] as const
export type RemoteFallback = (typeof REMOTE_FALLBACKS)[number]

export interface RemoteBuildersRequest {
  /** Nix's `builders` syntax from the input; empty: the builders of Nix's own config. */
  builders: string
  /** An SSH private key (a secret's text) for machines whose line names no key. */
  sshKey: string
  fallback: RemoteFallback
}

export interface CheckedBuilder {
  machine: Machine
  /** `user@host`, for people. */
  host: string
  reachable: boolean
  /** The Nix version serving its store. */
  nixVersion?: string
  trusted?: boolean
  /** Why it could not be used. */
  error?: string
  /** Systems it started a probe build for: it builds them. */
  systems: string[]
  /** Systems it declares but refused to build, with Nix's reason. */
  refused: { system: string; reason: string }[]
}

export interface RemoteBuilders {
  fallback: RemoteFallback
  /** Where the machines came from. */
  source: 'input' | 'nix.conf'
  builders: CheckedBuilder[]
  /** Each confirmed system and the host of the first builder that builds it. */
  offered: Map<string, string>
  /** `builders = …` for the builds, with only the machines and systems that passed; '' when none. */
  setting: string
  /** The `builders` value already written to the daemon's nix.conf for the probes (untrusted client). */
  written?: string
}

export class RemoteBuildersError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RemoteBuildersError'
  }
}

const SSH_OPTIONS = '-o BatchMode=yes -o ConnectTimeout=15'

/** The machines to use, or none when neither the input nor Nix's config names any. */
export function machinesOf(request: RemoteBuildersRequest, config: NixConfigView): { source: 'input' | 'nix.conf'; machines: Machine[] } {
  const fromInput = request.builders.trim() !== ''
  const entries = splitBuilders(fromInput ? request.builders : config.builders)
  const lines = entries.flatMap(entry => {
    if (!entry.startsWith('@')) return [entry]
    const file = entry.slice(1)
    // Nix's default is @/etc/nix/machines, which most installs do not have: no builders.
    if (!existsSync(file)) return []
    return splitBuilders(readFileSync(file, 'utf8'))
  })
  return { source: fromInput ? 'input' : 'nix.conf', machines: lines.map(line => parseMachine(line, config.system)) }
}

/** Writes the key where only this user can read it, once, and removes it when the process ends. */
export function writeSshKey(key: string, reporter: Reporter): string {
  const text = key.replace(/\r\n/g, '\n').trim()
  reporter.setSecret(text)
  for (const line of text.split('\n')) if (line.length >= 8 && !/^-----/.test(line)) reporter.setSecret(line)
  if (!/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new RemoteBuildersError(
      "The 'builders-ssh-key' input is not an SSH private key (it should start with `-----BEGIN OPENSSH PRIVATE KEY-----`): pass the key's whole text from a secret."
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-ssh-'))
  const file = join(dir, 'id')
  writeFileSync(file, `${text}\n`, { mode: 0o600 })
  if (keyDirs.size === 0) process.once('exit', removeSshKeys)
  keyDirs.add(dir)
  return file
}

const keyDirs = new Set<string>()

/** Removes the key files written so far (also done when the process exits). */
export function removeSshKeys(): void {
  for (const dir of keyDirs) rmSync(dir, { recursive: true, force: true })
  keyDirs.clear()
}

/**
 * Checks every machine and decides which requested systems go to which builder. `wanted` are the
 * systems this runner cannot build natively.
 */
export async function checkRemoteBuilders(
  request: RemoteBuildersRequest,
  options: {
    nix: NixRunner
    config: NixConfigView
    reporter: Reporter
    wanted: string[]
    signal?: AbortSignal
    /**
     * Set when Nix ignores this client's `builders` (a daemon that does not trust it): writes the
     * reachable machines to the daemon's nix.conf before the probes, which then go through it.
     */
    writeToDaemon?: (setting: string) => Promise<void>
  }
): Promise<RemoteBuilders | undefined> {
  const { reporter } = options
  const { source, machines } = machinesOf(request, options.config)
  if (machines.length === 0) {
    if (request.builders.trim() !== '')
      throw new RemoteBuildersError(
        "The 'builders' input names no machine: give Nix's builders syntax, e.g. `ssh-ng://builder@arm.example.org aarch64-linux`."
      )
    return undefined
  }
  const keyFile = request.sshKey.trim() !== '' ? writeSshKey(request.sshKey, reporter) : undefined
  const env = { NIX_SSHOPTS: [process.env.NIX_SSHOPTS ?? '', SSH_OPTIONS].join(' ').trim() }
  const builders: CheckedBuilder[] = []
  for (const parsed of machines) {
    const machine = parsed.sshKey === undefined && keyFile !== undefined ? { ...parsed, sshKey: keyFile } : parsed
    builders.push(await pingBuilder(options.nix, machine, env, options.signal))
  }
  // Through a daemon that ignores this client's `builders`, the probes can only go through the
  // daemon's own: every reachable machine is written there first.
  const written = options.writeToDaemon && source === 'input' ? buildersSetting(builders) : undefined
  if (written) await options.writeToDaemon?.(written)
  for (const checked of builders.filter(b => b.reachable)) {
    for (const system of checked.machine.systems.filter(s => options.wanted.includes(s))) {
      const nix = written
        ? options.nix
        : options.nix.withConfig(`builders = ${formatMachine({ ...checked.machine, systems: [system] })}\nmax-jobs = 0`)
      const probe = await probeBuild(nix, system, checked.machine, env, options.signal)
      if (probe.started) checked.systems.push(system)
      else checked.refused.push({ system, reason: probe.reason })
    }
  }
  const offered = new Map<string, string>()
  for (const b of builders) for (const system of b.systems) if (!offered.has(system)) offered.set(system, b.host)
  for (const line of describeBuilders(builders, source)) reporter.info(line)
  return { fallback: request.fallback, source, builders, offered, setting: buildersSetting(builders), ...(written ? { written } : {}) }
}

async function pingBuilder(nix: NixRunner, machine: Machine, env: Record<string, string>, signal?: AbortSignal): Promise<CheckedBuilder> {
  const checked: CheckedBuilder = { machine, host: machineHost(machine.uri), reachable: false, systems: [], refused: [] }
  const ping = await pingStore(nix, machineStoreUri(machine), { env, signal })
  if (!ping.reachable) return { ...checked, error: `unreachable: ${ping.error}` }
  return { ...checked, reachable: true, nixVersion: ping.info.version, trusted: ping.info.trusted }
}

/**
 * `builders = …` for the reachable machines. Systems a probe refused stay off the machine, so Nix
 * never waits on a refusal; an empty systems field would mean "the local system" to Nix, so such
 * a machine is left out.
 */
function buildersSetting(builders: CheckedBuilder[]): string {
  return builders
    .filter(b => b.reachable)
    .map(b => ({ ...b.machine, systems: b.machine.systems.filter(s => !b.refused.some(r => r.system === s)) }))
    .filter(m => m.systems.length > 0)
    .map(formatMachine)
    .join(' ; ')
}

/**
 * Builds a derivation that cannot succeed on that machine only (local max-jobs 0): Nix's build
 * activity naming the machine proves the remote took it; a platform or feature refusal is Nix's.
 */
async function probeBuild(
  nix: NixRunner,
  system: string,
  machine: Machine,
  env: Record<string, string>,
  signal?: AbortSignal
): Promise<{ started: true } | { started: false; reason: string }> {
  const nonce = randomBytes(6).toString('hex')
  const features = JSON.stringify([...new Set([...machine.supportedFeatures, ...machine.mandatoryFeatures])])
  const expr = `derivation { name = "nix-ci-builder-probe-${nonce}"; system = ${JSON.stringify(system)}; builder = "/nix-ci/builder-probe"; requiredSystemFeatures = builtins.fromJSON ${JSON.stringify(features)}; }`
  const messages: string[] = []
  let started = false
  await nix.run({
    args: ['build', '--no-link', '--impure', '--log-format', 'internal-json', '--expr', expr],
    env,
    signal,
    onLine: line => {
      if (line.stream !== 'stderr') return
      const event = parseInternalJsonLine(line.text)
      if (event?.action === 'start' && event.type === ActivityType.Build && typeof event.fields[1] === 'string' && event.fields[1] !== '')
        started = true
      else if (event?.action === 'msg' && messages.length < 100) messages.push(...stripAnsi(event.msg).split('\n'))
      else if (event === undefined && messages.length < 100) messages.push(stripAnsi(line.text))
    }
  })
  const refusal = platformRefusal(messages)
  if (started && refusal === undefined) return { started: true }
  const said =
    refusal ??
    buildersIgnored(messages) ??
    hookCouldNotConnect(messages) ??
    messages
      .map(m => m.trim())
      .filter(m => m.startsWith('error:'))
      .slice(-1)[0] ??
    'it did not start the build'
  return { started: false, reason: said }
}

/**
 * A nix-daemon takes `builders` only from trusted users (an untrusted one may just clear it), so
 * the probe never reached the machine: Nix's own warning says so (2.34: "ignoring the
 * client-specified setting 'builders', because it is a restricted setting and you are not a
 * trusted user").
 */
function buildersIgnored(messages: string[]): string | undefined {
  if (!messages.some(m => /ignoring the client-specified setting 'builders'/.test(m))) return undefined
  return (
    "the Nix daemon ignores the 'builders' setting from this user (not in its trusted-users), so nothing could be sent to the machine: " +
    "add the user to trusted-users in the daemon's nix.conf, or configure the builders there (`builders = …` or /etc/nix/machines) and leave the 'builders' input empty."
  )
}

/**
 * Nix's build hook saying it could not open the machine (`cannot build on 'URI': error: failed to
 * start SSH connection …`), although this job's own `nix store info` just reached it: through a
 * nix-daemon, the daemon's ssh connects, and NIX_SSHOPTS and this user's ssh config never reach it
 * (measured on 2.34 with the port only in NIX_SSHOPTS).
 */
function hookCouldNotConnect(messages: string[]): string | undefined {
  const hook = messages.map(m => /^cannot build on '([^']*)': (.*)$/.exec(m.trim())).find(m => m !== null)
  if (!hook) return undefined
  return (
    `Nix's build hook could not open it: ${hook[2]}. This job reached it, so the connection that failed is likely the Nix daemon's own (it runs ssh as root, without this job's NIX_SSHOPTS or ssh config): ` +
    "put a port other than 22 in the URI (ssh-ng://user@host:PORT, Nix 2.34 takes it; 2.8 and 2.26 do not) or in root's ~/.ssh/config, and make sure root can read the key file."
  )
}

export function describeBuilders(builders: CheckedBuilder[], source: 'input' | 'nix.conf'): string[] {
  const lines = [`Remote builders (from ${source === 'input' ? "the 'builders' input" : "Nix's config"}): ${builders.length}`]
  for (const b of builders) {
    if (!b.reachable) {
      lines.push(`  ${b.host}: ${b.error}`)
      continue
    }
    const who = `Nix ${b.nixVersion ?? '(version not given by this store type)'}${b.trusted === false ? ', does not trust this client' : ''}`
    const features = b.machine.supportedFeatures.length ? `; features ${b.machine.supportedFeatures.join(', ')}` : ''
    const builds = b.systems.length
      ? `builds ${b.systems.join(', ')} (a probe build started there)`
      : 'builds none of the systems asked for here'
    lines.push(`  ${b.host}: reachable, ${who}; ${builds}${features}`)
    for (const r of b.refused) lines.push(`  ${b.host}: refuses ${r.system}: ${r.reason}`)
  }
  return lines
}

/**
 * Why a build Nix sent to `machineUri` failed, when the machine is the cause: Nix 2.8 reports a
 * dropped connection only as the builder failing, so the machine is asked again. Undefined when
 * it still answers (the build itself failed there).
 */
export async function lostBuilder(
  remote: RemoteBuilders,
  machineUri: string,
  nix: NixRunner,
  signal?: AbortSignal
): Promise<string | undefined> {
  const builder =
    remote.builders.find(b => b.machine.uri === machineUri) ??
    remote.builders.find(b => machineHost(b.machine.uri) === machineHost(machineUri))
  if (!builder) return undefined
  const env = { NIX_SSHOPTS: [process.env.NIX_SSHOPTS ?? '', SSH_OPTIONS].join(' ').trim() }
  const ping = await pingStore(nix, machineStoreUri(builder.machine), { env, signal })
  if (ping.reachable) return undefined
  return (
    `The connection to remote builder ${builder.host} was lost during the build: it no longer answers (${ping.error}). ` +
    "What was built is kept. Rerun once the builder is back, or set 'remote-fallback: emulate' and drop it from 'builders' to build here under QEMU."
  )
}
