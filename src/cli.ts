#!/usr/bin/env node
// `nix-ci <stage> [options]`: the action's stages from a terminal, with a terminal reporter.
// This is how users reproduce CI locally.
import { parseArgs } from 'node:util'
import { InputError, parseInputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import { runPipeline } from './pipeline.js'
import { TerminalReporter } from './report/terminal-reporter.js'
import { cancelOnSignals } from './signals.js'

const USAGE = `Usage: nix-ci <stage> [options]

Stages:
  build        build packages.<system>.<package> for every system (QEMU for foreign ones)
  fix-hashes   (not built yet) find and fix stale fixed-output hashes
  vm-test      (not built yet) run the NixOS VM test
  release      (not built yet) tag a release

Options:
  --flake REF              flake to build (default: .)
  --package NAME           package attribute (default: default)
  --systems "A B"          systems, separated by spaces or commas (default: x86_64-linux aarch64-linux)
  --extra-nix-config TEXT  nix.conf lines for every Nix call, e.g. $'sandbox = true\\nsubstituters ='
  --json                   print the stage's outputs as JSON on stdout
  -h, --help               this help
`

const NOT_BUILT = new Set(['fix-hashes', 'vm-test', 'release'])

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
    process.stderr.write(`nix-ci: the '${stage}' stage is not built in this version of nix-ci yet; only 'build' runs.\n`)
    return 2
  }
  if (stage !== 'build' || positionals.length > 1) {
    process.stderr.write(`nix-ci: unknown stage or extra argument '${positionals.slice(stage === 'build' ? 1 : 0).join(' ')}'\n\n${USAGE}`)
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
      'fix-hashes': 'off',
      'vm-test': 'off',
      release: 'off',
      cache: 'false'
    }
    const inputs = parseInputs(name => given[name])
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig }),
      reporter,
      cwd: process.cwd(),
      signal: cancellation.signal
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

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

process.exitCode = await main(process.argv.slice(2))
