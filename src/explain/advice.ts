// Each finding -> what to do about it, in words a maintainer can act on without knowing Nix's
// internals. One function per finding kind (the renderer prints them beside their finding);
// explainFindings() gives the whole list, deduplicated, for `--json` and the job summary.
import {
  BeamCrash,
  ExecFormatError,
  FailedBuild,
  Findings,
  FodMismatch,
  OtherHashError,
  PlatformMismatch,
  VmTestFinding,
  drvName
} from './types.js'

/** GitHub's documented rule for /dev/kvm on its hosted runners, and the file it puts it in. */
export const KVM_UDEV_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"'
export const KVM_UDEV_RULE_FILE = '99-kvm4all.rules'
const KVM_SETUP =
  `give the runner /dev/kvm (on GitHub's Ubuntu runners: echo '${KVM_UDEV_RULE}' | sudo tee /etc/udev/rules.d/${KVM_UDEV_RULE_FILE} ` +
  `&& sudo udevadm control --reload-rules && sudo udevadm trigger --name-match=kvm), then let Nix schedule it: ` +
  "`system-features = kvm nixos-test benchmark big-parallel` in nix.conf or nix-ci's extra-nix-config input " +
  '(system-features replaces the defaults; `extra-system-features = kvm nixos-test` adds to them)'
const BINFMT_SETUP =
  'register a QEMU binfmt_misc handler with the F (fix-binary) flag, so the interpreter works inside the Nix sandbox: ' +
  "docker/setup-qemu-action, or nix-ci's `systems` input, which registers it and configures Nix"

const PLACEHOLDER = /^(?:sha\d+[-:])?(?:A{20,}=*|0{20,})$/

export function fodAdvice(m: FodMismatch): string {
  const name = m.derivation === null ? 'A fixed-output derivation (the paste does not name it)' : drvName(m.derivation)
  if (m.source === 'builder-output') {
    return (
      `A hash-mismatch report for ${name} appeared in builder output (a nested nix call, or a test printing one): ` +
      'it is not Nix’s verdict on this build, so change nothing on its word.'
    )
  }
  const what = PLACEHOLDER.test(m.specified) ? 'holds a placeholder hash' : 'has a stale fixed-output hash'
  const remote = m.remoteBuilder !== undefined ? ` (built on ${m.remoteBuilder}; the hash is the same wherever it builds)` : ''
  return (
    `${name}${remote} ${what}: replace ${m.specified} with ${m.got} where the expression writes it ` +
    '(the file may spell the same hash as nix32 or hex: `nix hash to-sri` converts), ' +
    'or run `nix-ci fix-hashes --write` to locate, patch and verify it by rebuilding.'
  )
}

export function otherHashAdvice(e: OtherHashError): string {
  switch (e.kind) {
    case 'flake-input':
      return (
        `The flake input ${e.url ?? ''} no longer matches the narHash locked in flake.lock` +
        `${e.expected && e.got ? ` (locked ${e.expected}, fetched ${e.got})` : ''}: the source changed under the same reference ` +
        '(a force-pushed branch or tag, a regenerated tarball, a hand-edited lock). Re-lock it: `nix flake lock --update-input <input>` ' +
        '(`nix flake update <input>` on Nix 2.19+), then review the diff of flake.lock.'
      )
    case 'substitution':
      return (
        `The binary cache ${e.url ?? ''} served ${e.path ?? 'a path'} with contents that do not match its own narinfo: a corrupt or tampered cache entry. ` +
        "Never turn the check off: build without that cache (`--option substituters ''`) and purge the entry (for the Actions cache, change the cache key)."
      )
    case 'import-path':
      return (
        `Importing ${e.path ?? 'a store path'} failed its hash check: the export, NAR or store it came from is corrupt. ` +
        'Recreate it from the source (`nix copy`/`nix-store --export` again), or repair a local copy with `nix-store --repair-path`.'
      )
    case 'builtin-fetch':
      return (
        `The file at ${e.url ?? 'a URL'}, fetched during evaluation (builtins.fetchurl/fetchTarball/fetchTree), ` +
        `hashes to ${e.got ?? 'something else'}, not ${e.expected ?? 'the hash given'}. If the change upstream is legitimate, put the new hash in the expression; ` +
        'nix-ci fix-hashes only patches fixed-output derivations, not builtin fetches.'
      )
    case 'hash-syntax':
      return (
        `The hash ${e.expected !== undefined ? `'${e.expected}' ` : ''}cannot be read: write it in SRI form (sha256-…) or name its algorithm ` +
        '(outputHashAlgo, or the `sha256 =` attribute); use lib.fakeHash to learn the real one from the mismatch Nix then reports.'
      )
  }
}

export function platformAdvice(p: PlatformMismatch): string[] {
  const name = p.derivation !== undefined ? drvName(p.derivation) : 'A derivation'
  const advice: string[] = []
  if (p.hostSystem !== undefined && p.hostSystem !== p.requiredSystem)
    advice.push(`${name} ${systemAdvice(p.requiredSystem, p.hostSystem)}`)
  const missing = p.requiredFeatures.filter(f => !(p.hostFeatures ?? []).includes(f))
  if (missing.includes('kvm') || missing.includes('nixos-test')) {
    advice.push(`${name} needs the system feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (a NixOS VM test): ${KVM_SETUP}.`)
  } else if (missing.length > 0) {
    advice.push(
      `${name} needs the system feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: add ${missing.length > 1 ? 'them' : 'it'} to \`extra-system-features\` on a machine that really has ${missing.length > 1 ? 'them' : 'it'}, or build on such a machine.`
    )
  }
  return advice
}

function systemAdvice(required: string, host: string): string {
  const [, requiredOs] = required.split('-')
  const [, hostOs] = host.split('-')
  if (requiredOs === 'darwin') {
    return `needs ${required} and this machine is ${host}: Darwin builds need macOS (a ${required.startsWith('aarch64') ? 'macos-14' : 'macos-13'} runner, or a Darwin remote builder); QEMU cannot run Darwin.`
  }
  if (requiredOs === 'linux' && hostOs === 'darwin') {
    return `needs ${required} and this machine is ${host}: add a Linux builder (nix-darwin's \`nix.linux-builder.enable = true\`, or \`builders = ssh-ng://…\`) or build on a Linux runner.`
  }
  const native = required === 'aarch64-linux' ? ' (`ubuntu-24.04-arm`)' : required === 'x86_64-linux' ? ' (`ubuntu-24.04`)' : ''
  return (
    `needs ${required} and this machine is ${host}, which Nix will not build for: ${BINFMT_SETUP}, and add \`extra-platforms = ${required}\` to nix.conf; ` +
    `or build on a native ${required} runner${native}.`
  )
}

export function execFormatAdvice(e: ExecFormatError): string {
  return (
    `The kernel could not run ${e.executable} (Exec format error): it is a program for another CPU and no binfmt_misc handler took it, ` +
    `or the handler lacks the F flag and is invisible inside the Nix sandbox. ${capitalise(BINFMT_SETUP)}; ` +
    '`cat /proc/sys/fs/binfmt_misc/qemu-<cpu>` must show `flags: F` (or PF, POCF).'
  )
}

export function vmTestAdvice(t: VmTestFinding): string | undefined {
  if (t.result === 'passed') return undefined
  const name = t.derivation !== undefined ? drvName(t.derivation) : 'The NixOS VM test'
  if (t.kvmError !== undefined) return `${name} could not use KVM (${t.kvmError}): ${KVM_SETUP}.`
  const where = `${t.subtest !== undefined ? ` in subtest "${t.subtest}"` : ''}${t.failedCommand !== undefined ? ` at \`${t.failedCommand}\`` : ''}`
  const error = t.error ?? ''
  const hint = /timed out|timeout/.test(error)
    ? 'the machine never got there: read the unit’s journal in this log (usually a crash loop or a missing setting); raise the timeout only if it is merely slow.'
    : error.includes('reached state "failed"') || unitFailed(error)
      ? 'the unit failed: its journal (in this log, or `journalctl -u <unit>` in the interactive driver) says why.'
      : 'reproduce it step by step with the interactive driver: `nix build .#checks.<system>.<test>.driverInteractive && ./result/bin/nixos-test-driver`.'
  return `${name} failed${where}${error ? `: ${error}` : ''}. ${capitalise(hint)}`
}

/** erlang/otp#6340 added the flag for exactly this; erlang/docker-erlang-otp#400 and hexpm/bob#117 are the crash. */
export const BEAM_QEMU_FIX = 'ERL_FLAGS="+JMsingle true"'

export function beamCrashAdvice(c: BeamCrash): string {
  const who = c.derivation !== undefined ? ` (building ${drvName(c.derivation)})` : ''
  const fix =
    `set ${BEAM_QEMU_FIX} in the environment of the emulated build (for mixRelease and fetchMixDeps: \`env.ERL_FLAGS = "+JMsingle true";\`), ` +
    'which makes the JIT map its code memory once (read-write-execute) instead of twice; or build that system on a native runner. ' +
    'Natively the flag works too but gives up the separate writable and executable mappings the JIT keeps as hardening, so set it for the emulated system only ' +
    '(erlang/otp#6340, erlang/otp#10355, erlang/docker-erlang-otp#400, hexpm/bob#117).'
  return c.underQemu
    ? `${c.program}${who} was killed by ${c.signal} under QEMU user emulation: the Erlang JIT's dual-mapped code memory breaks under qemu-user. Fix: ${fix}`
    : `${c.program}${who} was killed by ${c.signal}. If this build ran under QEMU user emulation (a foreign system through binfmt_misc, e.g. aarch64-linux on an x86_64 runner), ` +
        `it is the Erlang JIT under qemu-user: ${fix} On native hardware it is a crash of the VM or of a NIF: read its core dump or erl_crash.dump.`
}

export function failedBuildAdvice(b: FailedBuild, execFormatSeen: boolean): string {
  const name = drvName(b.derivation)
  const exit = b.exitCode !== undefined ? ` with exit code ${b.exitCode}` : ''
  if (execFormatSeen) return `The builder of ${name} failed${exit}; the Exec format error above is the likely cause.`
  const hint =
    b.exitCode === 127
      ? ' (127: a command was not found: a tool missing from nativeBuildInputs?)'
      : b.exitCode === 126
        ? ' (126: a file was not executable)'
        : ''
  return `The builder of ${name} failed${exit}${hint}: the build itself broke, no Nix setting will fix it. Read its whole log: \`nix log ${b.derivation}\`.`
}

/** All advice for a set of findings, in report order, without repeats. */
export function explainFindings(findings: Findings): string[] {
  const advice: string[] = []
  const vmDrvs = new Set(findings.vmTests.filter(t => t.result === 'failed').map(t => t.derivation))
  advice.push(...findings.fodMismatches.map(fodAdvice))
  advice.push(...findings.otherHashErrors.map(otherHashAdvice))
  for (const p of findings.platformMismatches) advice.push(...platformAdvice(p))
  advice.push(...findings.execFormatErrors.map(execFormatAdvice))
  advice.push(...findings.beamCrashes.map(beamCrashAdvice))
  for (const t of findings.vmTests) {
    const a = vmTestAdvice(t)
    if (a !== undefined) advice.push(a)
  }
  const crashedDrvs = new Set(findings.beamCrashes.map(c => c.derivation))
  for (const b of findings.failedBuilds) {
    if (vmDrvs.has(b.derivation)) continue
    advice.push(
      crashedDrvs.has(b.derivation)
        ? `The builder of ${drvName(b.derivation)} failed: the BEAM crash above is the cause.`
        : failedBuildAdvice(b, findings.execFormatErrors.length > 0)
    )
  }
  return [...new Set(advice)]
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** "unit … failed" on one line, found with indexOf: `/unit .* failed/` rescans the line from every "unit ". */
function unitFailed(error: string): boolean {
  return error.split('\n').some(line => {
    const unit = line.indexOf('unit ')
    return unit >= 0 && line.lastIndexOf(' failed') >= unit + 'unit '.length
  })
}
