// What `nix-ci explain` finds in a log. The JSON shape (`ExplainJson`) is a public contract: each
// list holds exactly the fields named here, in this order. The classifier keeps a little more
// (`Platform.hostFeatures`, a VM test's KVM error) to word its advice; json.ts drops it.
import type { OtherHashErrorKind } from '../hashes/hash-reports.js'

export type FodSource = 'nix' | 'builder-output'

/**
 * What a paste did to a report, when it shows in the finding: 'no-header' (the pair alone),
 * 'no-path' (`hash mismatch in fixed-output derivation:` without its path), 'elided-path' (`…` or
 * `...` typed into the path), 'truncated-path' (cut at nix-output-monitor's frame edge),
 * 'wrapped-path' (split across two lines by a terminal), 'glued' (after other output on its line).
 */
export type PasteDamage = 'no-header' | 'no-path' | 'elided-path' | 'truncated-path' | 'wrapped-path' | 'glued'

export interface FodMismatch {
  /**
   * The store path as Nix printed it (a .drv, or the output path for Nix 2.3 and older), kept as
   * given when a paste elided or truncated it; null when the paste does not name it at all.
   */
  derivation: string | null
  /** Hash text exactly as printed. */
  specified: string
  got: string
  /**
   * 'nix': printed as Nix's own report. 'builder-output': printed by a builder (`name> ` lines,
   * the quoted tail of a failed build, result events); listed so a reader sees it, never acted on.
   */
  source: FodSource
  /** The builder the build ran on, from "build of '…' on 'ssh://host' failed: …". */
  remoteBuilder?: string
  /** Lix: the URL it guesses was fetched, and the store paths of the expected and the actual output. */
  likelyUrl?: string
  expectedPath?: string
  gotPath?: string
  pasteDamage?: PasteDamage[]
}

export interface OtherHashError {
  kind: OtherHashErrorKind
  /** The store path the error names (import-path, substitution). */
  path?: string
  /** The URL or flake reference (flake-input, builtin-fetch, substitution: the cache). */
  url?: string
  /** The hash that was expected; for hash-syntax, the malformed hash text as written. */
  expected?: string
  got?: string
}

export interface PlatformMismatch {
  derivation?: string
  /** Empty when Nix named only the missing features (2.3x): then it is this machine's own system. */
  requiredSystem: string
  requiredFeatures: string[]
  hostSystem?: string
  /** Not in the JSON: what the host offers, to say which features are missing. */
  hostFeatures?: string[]
}

export interface ExecFormatError {
  executable: string
}

export interface VmTestFinding {
  derivation?: string
  result: 'passed' | 'failed'
  subtest?: string
  failedCommand?: string
  error?: string
  /** Not in the JSON: QEMU could not use KVM (permissions, missing module). */
  kvmError?: string
}

/**
 * The BEAM (erl, mix, elixir, beam.smp, …) killed by SIGSEGV/SIGILL/SIGBUS. Under QEMU user
 * emulation that is the Erlang JIT's dual-mapped code memory, which qemu-user mishandles.
 * Not in the JSON lists (its advice is): the document's lists are a public contract.
 */
export interface BeamCrash {
  /** The program as the crash report names it (`mix`, `/…/bin/erl`, `beam.smp`). */
  program: string
  signal: 'SIGSEGV' | 'SIGILL' | 'SIGBUS'
  /** QEMU said so ("qemu: uncaught target signal …") in the same build's output. */
  underQemu: boolean
  /** The derivation whose builder printed it, when known. */
  derivation?: string
}

export interface FailedBuild {
  derivation: string
  exitCode?: number
}

export interface Findings {
  fodMismatches: FodMismatch[]
  otherHashErrors: OtherHashError[]
  platformMismatches: PlatformMismatch[]
  execFormatErrors: ExecFormatError[]
  vmTests: VmTestFinding[]
  failedBuilds: FailedBuild[]
  beamCrashes: BeamCrash[]
  /** More findings than the classifier keeps arrived; the rest were dropped. */
  truncated: boolean
}

/** The exact `nix-ci explain --json` document. */
export interface ExplainJson {
  fodMismatches: FodMismatch[]
  otherHashErrors: OtherHashError[]
  platformMismatches: Omit<PlatformMismatch, 'hostFeatures'>[]
  execFormatErrors: ExecFormatError[]
  vmTests: Omit<VmTestFinding, 'kvmError'>[]
  failedBuilds: FailedBuild[]
  advice: string[]
}

/**
 * Where a line came from. Only 'nix' lines can be Nix's own messages; 'builder' lines are a
 * builder's output (key: the derivation's name as `nix build -L` prints it, when known).
 */
export type Origin = { from: 'nix' } | { from: 'builder'; key: string; drv?: string }

export interface LineRecogniser {
  push(text: string, origin: Origin): void
}

/** Cap on every list of findings: a log is unbounded, the report is not. */
export const MAX_FINDINGS = 200

export function pushBounded<T>(list: T[], item: T, onDrop: () => void): void {
  if (list.length >= MAX_FINDINGS) onDrop()
  else list.push(item)
}

/** `/nix/store/<hash>-hello-1.0.drv` -> `hello-1.0`, the name `nix build -L` prefixes lines with. */
export function drvName(path: string): string {
  // One per `building '…'` line, so the costly lastIndexOf only for a path not in /nix/store's
  // layout (a slash at 10 and none after), and the store hash is tested in place.
  const start = path.charCodeAt(10) === 47 && path.indexOf('/', 11) === -1 ? 11 : path.lastIndexOf('/') + 1
  STORE_HASH.lastIndex = start
  const from = path.charCodeAt(start + 32) === 45 && STORE_HASH.test(path) ? start + 33 : start
  return path.slice(from, path.endsWith('.drv') && path.length - 4 >= from ? -4 : undefined)
}

const STORE_HASH = /[0-9a-z]{32}-/y
