#!/usr/bin/env node
// `nix-ci <stage> [options]`: the action's stages from a terminal, with a terminal reporter.
// This is how users reproduce CI locally.
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InputError, parseInputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import { runPipeline } from './pipeline.js'
import { TerminalReporter } from './report/terminal-reporter.js'
import { cancelOnSignals } from './signals.js'

const USAGE = `Usage: nix-ci <stage> [options]

Stages:
  build        build packages.<system>.<package> for every system (QEMU for foreign ones)
  fix-hashes   build, then find stale fixed-output hashes, fix them in the repository's files and
               verify by building again; without --write the files are left as they were
  vm-test      (not built yet) run the NixOS VM test
  release      (not built yet) tag a release

Options:
  --flake REF              flake to build (default: .)
  --package NAME           package attribute (default: default)
  --systems "A B"          systems, separated by spaces or commas (default: x86_64-linux aarch64-linux)
  --extra-nix-config TEXT  nix.conf lines for every Nix call, e.g. $'sandbox = true\\nsubstituters ='
  --write                  (fix-hashes) keep the verified fixes in the work tree
  --base REV               (fix-hashes) compare lock files with REV to decide what to re-check
  --check-fods POLICY      (fix-hashes) auto, always or never (see action.yml)
  --json                   print the stage's outputs as JSON on stdout
  -h, --help               this help
`

const NOT_BUILT = new Set(['vm-test', 'release'])

export async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        flake: { type: 'string' },
        package: { type: 'string' },
        systems: { type: 'string' },
        'extra-nix-config': { type: 'string' },
        write: { type: 'boolean', default: false },
        base: { type: 'string' },
        'check-fods': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
  } catch (error) {
    process.stderr.write(`nix-ci: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const stage = positionals[0]
  if (values.help || stage === undefined) {
    process.stdout.write(USAGE)
    return stage === undefined && !values.help ? 2 : 0
  }
  if (NOT_BUILT.has(stage)) {
    process.stderr.write(`nix-ci: the '${stage}' stage is not built in this version of nix-ci yet; 'build' and 'fix-hashes' run.\n`)
    return 2
  }
  const known = stage === 'build' || stage === 'fix-hashes'
  if (!known || positionals.length > 1) {
    process.stderr.write(`nix-ci: unknown stage or extra argument '${positionals.slice(known ? 1 : 0).join(' ')}'\n\n${USAGE}`)
    return 2
  }

  const reporter = new TerminalReporter()
  const cancellation = cancelOnSignals(signal => reporter.warning(`Received ${signal}: stopping Nix`))
  try {
    const given: Record<string, string | undefined> = {
      flake: values.flake,
      package: values.package,
      systems: values.systems,
      'extra-nix-config': values['extra-nix-config'],
      'check-fods': values['check-fods'],
      'fix-hashes': stage === 'fix-hashes' ? (values.write ? 'pull-request' : 'report') : 'off',
      'vm-test': 'off',
      release: 'off',
      cache: 'false'
    }
    // A local flake directory is also the repository whose files hold the hashes.
    const flakeDir = values.flake !== undefined && !values.flake.includes(':') && isDirectory(values.flake) ? resolve(values.flake) : undefined
    if (flakeDir) given.flake = '.'
    const inputs = parseInputs(name => given[name])
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig }),
      reporter,
      cwd: flakeDir ?? process.cwd(),
      signal: cancellation.signal,
      base: values.base,
      writeFixesOnly: values.write
    })
    process.stderr.write(`\n${reporter.summary()}\n`)
    if (values.json) process.stdout.write(JSON.stringify(Object.fromEntries([...reporter.outputs].map(([k, v]) => [k, tryJson(v)])), null, 2) + '\n')
    for (const failure of result.failures) process.stderr.write(`nix-ci: ${failure}\n`)
    return result.ok ? 0 : 1
  } catch (error) {
    process.stderr.write(`nix-ci: ${error instanceof InputError ? '' : 'error: '}${(error as Error).message}\n`)
    return error instanceof InputError ? 2 : 1
  } finally {
    cancellation.dispose()
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

process.exitCode = await main(process.argv.slice(2))
