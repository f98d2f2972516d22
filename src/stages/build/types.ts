import type { Phase } from '../../report/timing.js'
import type { ElfCheck } from '../../nix/elf.js'
import type { NixRunner } from '../../nix/runner.js'

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
  mode: 'native' | 'emulated' | 'impossible'
  status: SystemStatus
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

export interface BuildStageResult {
  ok: boolean
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
  durationMs: number
  /** Where the stage's time went, phase by phase (debug output and benchmarks). */
  phases: Phase[]
}
