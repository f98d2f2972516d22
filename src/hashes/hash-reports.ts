// What the mismatch parser reports, and the one vocabulary of hash errors that are not a
// fixed-output derivation's: the parser, explain and the fix-hashes stage all speak of these kinds.
import type { HashAlgo } from './codec.js'

export type TrustMode = 'internal-json-only' | 'plain-log'
export type ReportSource = 'nix' | 'unverified' | 'builder-output'
export type ReportFormat = 'nix-2.4+' | 'nix-2.3' | 'lix' | 'nix-2.0' | 'nix-1.x'

export interface HashMismatch {
  /** The store path as printed: a .drv (Nix >= 2.4, Lix) or the output path (Nix 2.3 and older). */
  derivation: string
  kind: 'drv' | 'output-path'
  /** Hash text exactly as printed (SRI since Nix 2.4, `sha256:<nix32>` in 2.3, bare in 2.0 and 1.x). */
  specified: string
  got: string
  algo: HashAlgo
  source: ReportSource
  format: ReportFormat
  /** Lix's guess at the URL that was fetched, when printed. */
  likelyUrl?: string
  /** 1-based line of the log where the report starts. */
  line: number
}

/**
 * Hash errors that are NOT a fixed-output derivation's hash: never to be patched as one.
 * The parser reads the first three from Nix's own messages; the others need more of the log than
 * one report, so only explain names them.
 */
export type OtherHashErrorKind =
  | 'import-path' // a NAR import or substitution: "hash mismatch importing path"
  | 'flake-input' // a locked flake input: "NAR hash mismatch in input", "mismatch in field 'narHash' of input"
  | 'builtin-fetch' // builtin fetchers at evaluation: "hash mismatch in file downloaded from"
  | 'substitution' // an import-path whose path was being copied from a binary cache (explain)
  | 'hash-syntax' // a hash Nix cannot read: no type, wrong length, bad base (explain)

/** The kinds the mismatch parser reports by itself. */
export type ParsedOtherHashErrorKind = Extract<OtherHashErrorKind, 'import-path' | 'flake-input' | 'builtin-fetch'>

export interface OtherHashError {
  kind: ParsedOtherHashErrorKind
  /** The store path, URL or flake input the error names (a flake input's URL when its attributes give one). */
  subject: string
  specified?: string
  got?: string
  source: ReportSource
  line: number
  /** First line of the message, ANSI stripped, at most 500 characters. */
  text: string
}

export interface MismatchParseResult {
  mismatches: HashMismatch[]
  otherHashErrors: OtherHashError[]
  /** More reports than `maxReports` arrived; the rest were dropped. */
  truncated: boolean
}

/** Only these may be acted on or repeated as Nix's word: Nix's own structured error, unforgeable by a builder. */
export function isActionable(report: { source: ReportSource }): boolean {
  return report.source === 'nix'
}
