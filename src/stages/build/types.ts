import type { NixConfigView } from '../../nix/config.js'
import type { Phase } from '../../report/timing.js'
import type { ElfCheck } from '../../nix/elf.js'
import type { NixRunner } from '../../nix/runner.js'
import type { RemoteBuilders } from '../../setup/remote-builders.js'
import type { StageOutcome } from '../stage.js'

export type SystemStatus = 'built' | 'failed' | 'cancelled' | 'not-built'

export interface FailedDerivation {
  drvPath: string
  name: string
  /** Nix's own error message about it. */
  message?: string
  /** The last lines its builder printed. */
  tail: string[]
}

export interface SystemBuildResult {
  system: string
  mode: 'native' | 'emulated' | 'remote' | 'impossible'
  status: SystemStatus
  /** Where the package was built: `local` or a remote builder's `user@host` (unset when nothing was built). */
  builtOn?: string
  attrPath: string
  drvPath?: string
  outPaths: string[]
  /** Wall time from the start of the build until this system's package was done. */
  durationMs?: number
  /** True when the outputs were already in the store (nothing was built for this system). */
  alreadyValid?: boolean
  closureSize?: number
  elf?: ElfCheck
  failures: FailedDerivation[]
  /** Why the system failed or was not built, in words that say what to do. */
  error?: string
  /**
   * With `outputs` other than the single package: every selected attribute for this system,
   * failures first. Then drvPath is unset and outPaths are the built attributes' outputs.
   */
  attributes?: AttributeBuildResult[]
}

/** One selected flake attribute (`outputs: all` or a list). */
export interface AttributeBuildResult {
  attrPath: string
  kind: 'packages' | 'checks' | 'devShells' | 'formatter' | 'nixosConfigurations' | 'other'
  /** `eval-failed`: Nix could not evaluate it to a derivation (see `evaluation`). */
  status: SystemStatus | 'eval-failed'
  drvPath?: string
  outPaths: string[]
  durationMs?: number
  alreadyValid?: boolean
  closureSize?: number
  failures: FailedDerivation[]
  error?: string
  /** Nix's evaluation error: its message and the position in the flake. */
  evaluation?: { message: string; position?: string }
}

/** What the `outputs` selection chose, beyond each system's attributes. */
export interface OutputsSummary {
  /** The input as given (`all`, or the attribute paths). */
  selection: string
  /** Attributes left out on purpose, with why (another system, the VM test's own check). */
  skipped: { attrPath: string; reason: string }[]
  /** Attributes that failed before their system was known. */
  unplaced: AttributeBuildResult[]
  /** `nix eval` calls the evaluation took (1, plus one per error Nix stopped at). */
  evalCalls: number
}

/** A fixed-output derivation of some system's closure, and whether its output was in the store. */
export interface FixedOutputInfo {
  drvPath: string
  name: string
  system: string
  outputPaths: string[]
  /** The declared hash, in SRI form whatever the Nix version's JSON gave, and its algorithm. */
  hash: string
  hashAlgo: string
  validBefore: boolean
  validAfter: boolean
  /** Requested systems whose package needs this output. */
  neededBy: string[]
}

export interface BuildStageResult extends StageOutcome {
  hostSystem: string
  nixVersion: string
  systems: SystemBuildResult[]
  cancelled: boolean
  /** Fixed-output derivations realised natively before the emulated systems' build. */
  nativeFodsFirst: string[]
  /** Every derivation Nix built in this run (from its own build activities). */
  builtDerivations: string[]
  /** Every fixed-output derivation in the requested systems' closures. */
  fixedOutputs: FixedOutputInfo[]
  /** The Nix runner with this run's emulation settings, for follow-up builds of the same systems. */
  nix: NixRunner
  /** Nix's own error messages from the build, in order (ANSI stripped). */
  nixErrors: string[]
  /** Set when `outputs` selected more than the single package. */
  outputs?: OutputsSummary
  durationMs: number
  /** Where the stage's time went, phase by phase (debug output and benchmarks). */
  phases: Phase[]
  /** Nix's version and config and the emulation set-up, for later builds of the run to reuse. */
  setUp: BuildSetUp
}

/** What the build stage's set-up found and configured. */
export interface BuildSetUp {
  nixVersion: string
  config: NixConfigView
  /** The runner that carries the emulation settings (when Nix takes them per call). */
  nix: NixRunner
  /** Why the emulated systems cannot be built here, when they cannot. */
  emulationError?: string
  /** The remote builders checked, and which systems they build. */
  remote?: RemoteBuilders
  /** Systems left without a builder under `remote-fallback: fail`, and why. */
  remoteErrors?: Record<string, string>
}
