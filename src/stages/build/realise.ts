// Runs `nix build` on derivations with Nix's structured log, so every line can be attributed.
// No -L: in Nix 2.8 it switches the log format back to the progress bar; internal-json carries
// builder lines anyway (as result events, which is how they are told apart from Nix's words).
import semver from 'semver'
import { NixLine, NixRunner, NixRunResult } from '../../nix/runner.js'
import { BuildLog } from './build-log.js'

/** How this Nix version names "the outputs of this .drv" on the command line. */
export function drvInstallable(drvPath: string, nixVersion: string): string {
  const version = semver.coerce(nixVersion)
  // Nix 2.13 introduced `drv^*`; before it a bare .drv path meant its outputs.
  return version !== null && semver.gte(version, '2.13.0') ? `${drvPath}^*` : drvPath
}

export interface RealiseOptions {
  nix: NixRunner
  drvPaths: string[]
  nixVersion: string
  log: BuildLog
  /** Also sees every line (e.g. the hash mismatch parser). */
  observe?: (line: NixLine) => void
  /** Extra `nix build` flags (e.g. --rebuild). */
  extraArgs?: string[]
  cwd?: string
  signal?: AbortSignal
}

export function realise(options: RealiseOptions): Promise<NixRunResult> {
  const installables = options.drvPaths.map(d => drvInstallable(d, options.nixVersion))
  return options.nix.run({
    args: ['build', '--no-link', '--keep-going', '--log-format', 'internal-json', ...(options.extraArgs ?? [])],
    positional: installables,
    cwd: options.cwd,
    onLine: options.observe
      ? line => {
          options.log.onLine(line)
          options.observe?.(line)
        }
      : options.log.onLine,
    signal: options.signal
  })
}
