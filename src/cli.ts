#!/usr/bin/env node
import { errorMessage } from './errors.js'
// `nix-ci <stage> [options]`: the action's stages from a terminal, with a terminal reporter.
// This is how users reproduce CI locally.
import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runExplainCommand } from './explain/index.js'
import { createGitHubClient, type GitHubClient } from './github/client.js'
import type { RunContext } from './github/context.js'
import { parseArgs } from 'node:util'
import { CHECK_FODS_POLICIES, DEFAULTS, InputError, parseInputs } from './inputs.js'
import { NixRunner } from './nix/runner.js'
import { headCommit, headRef } from './git/git.js'
import { GitHubTarget, runPipeline } from './pipeline.js'
import { TerminalReporter } from './report/terminal-reporter.js'
import { cancelOnSignals } from './signals.js'

const d = (name: string): string => DEFAULTS[name]
// Defaults shown here come from the action's own (DEFAULTS, equal to action.yml's).
const USAGE = `Usage: nix-ci <stage> [options]

Stages:
  build        build packages.<system>.<package> for every system (QEMU for foreign ones)
  fix-hashes   build, then find stale fixed-output hashes, fix them in the repository's files and
               verify by building again; without --write the files are left as they were
  vm-test      build, then run the NixOS VM test (the built-in one, or --vm-test ATTR)
  release      build, then tag the version and publish a GitHub release
               (needs --repo OWNER/NAME, --sha SHA and GITHUB_TOKEN)
  explain [FILE|-] [--json]
               read a saved Nix log (a CI job log, a terminal paste) and explain each failure
               with its fix

Options:
  --flake REF              flake to build (default: ${d('flake')})
  --package NAME           package attribute (default: ${d('package')})
  --systems "A B"          systems, separated by spaces or commas (default: ${d('systems')})
  --outputs WHAT           ${d('outputs')} (default), all (what nix flake check builds), or attribute
                           paths with * globs, e.g. "packages.*.* checks.*.lint"
  --push-to STORE          push what was built to a Nix store URL (file://, https://, ssh-ng://);
                           signed with the key in $NIX_CI_PUSH_SIGNING_KEY when set
  --push-required          a failed push fails the run
  --extra-nix-config TEXT  nix.conf lines for every Nix call, e.g. $'sandbox = true\\nsubstituters ='
  --write                  (fix-hashes) keep the verified fixes in the work tree
  --base REV               (fix-hashes) compare lock files with REV to decide what to re-check
  --check-fods POLICY      (fix-hashes) ${CHECK_FODS_POLICIES.join(', ')} (default: ${d('check-fods')}; see action.yml)
  --vm-test MODE           (vm-test) builtin (default), auto, or a flake attribute path
  --service NAME           (vm-test) services.<NAME> (default: ${d('service')})
  --service-port PORT      (vm-test) default ${d('service-port')}
  --health-path PATH       (vm-test) default ${d('health-path')}
  --version-from SOURCE    (release) auto, mix.exs, flake, package.json or a version (default: ${d('version-from')})
  --tag-prefix PREFIX      (release) default ${d('tag-prefix')}
  --release-branches "A B" (release) branches besides the default one that may release; the
                           checked-out branch must be one of them or the repository's default
  --major-tag              (release) move v<major> and v<major>.<minor>
  --repo OWNER/NAME        (release) the GitHub repository
  --sha SHA                (release) the commit that was built (default: git HEAD)
  --json                   print the stage's outputs as JSON on stdout
  -h, --help               this help
`

const STAGES = ['build', 'fix-hashes', 'vm-test', 'release']

const OPTIONS = {
  flake: { type: 'string' },
  package: { type: 'string' },
  systems: { type: 'string' },
  outputs: { type: 'string' },
  'push-to': { type: 'string' },
  'push-required': { type: 'boolean', default: false },
  'extra-nix-config': { type: 'string' },
  write: { type: 'boolean', default: false },
  base: { type: 'string' },
  'check-fods': { type: 'string' },
  'vm-test': { type: 'string' },
  service: { type: 'string' },
  'service-port': { type: 'string' },
  'health-path': { type: 'string' },
  'version-from': { type: 'string' },
  'tag-prefix': { type: 'string' },
  'release-branches': { type: 'string' },
  'major-tag': { type: 'boolean', default: false },
  repo: { type: 'string' },
  sha: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
} as const

type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

export async function main(argv: string[]): Promise<number> {
  // explain takes a FILE argument and options of its own.
  if (argv[0] === 'explain')
    return runExplainCommand(argv.slice(1), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
  const parsed = parseCommandLine(argv)
  if (typeof parsed === 'number') return parsed
  const { stage, values } = parsed
  const reporter = new TerminalReporter()
  const cancellation = cancelOnSignals(signal => reporter.warning(`Received ${signal}: stopping Nix`))
  try {
    // A local flake directory is also the repository whose files hold the hashes.
    const flakeDir =
      values.flake !== undefined && !values.flake.includes(':') && isDirectory(values.flake) ? resolve(values.flake) : undefined
    const given = actionInputs(stage, values, flakeDir !== undefined)
    const inputs = parseInputs(name => given[name])
    const cwd = flakeDir ?? process.cwd()
    const result = await runPipeline(inputs, {
      nix: new NixRunner({ nixConfig: inputs.extraNixConfig, callLog: [] }),
      reporter,
      cwd,
      signal: cancellation.signal,
      base: values.base,
      actionDir: packageRoot(),
      github: stage === 'release' ? await cliGitHubTarget(values.repo, values.sha, cwd, reporter) : undefined
    })
    process.stderr.write(`\n${reporter.summary()}\n`)
    if (values.json)
      process.stdout.write(JSON.stringify(Object.fromEntries([...reporter.outputs].map(([k, v]) => [k, tryJson(v)])), null, 2) + '\n')
    for (const failure of result.failures) process.stderr.write(`nix-ci: ${failure}\n`)
    return result.ok ? 0 : 1
  } catch (error) {
    process.stderr.write(`nix-ci: ${error instanceof InputError ? '' : 'error: '}${errorMessage(error)}\n`)
    return error instanceof InputError ? 2 : 1
  } finally {
    cancellation.dispose()
  }
}

/** The stage and its options, or the exit code when there is nothing to run (help, a usage error). */
function parseCommandLine(argv: string[]): { stage: string; values: CliValues } | number {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  } catch (error) {
    process.stderr.write(`nix-ci: ${errorMessage(error)}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const stage = positionals[0]
  if (values.help || stage === undefined) {
    process.stdout.write(USAGE)
    return stage === undefined && !values.help ? 2 : 0
  }
  const known = STAGES.includes(stage)
  if (!known || positionals.length > 1) {
    process.stderr.write(`nix-ci: unknown stage or extra argument '${positionals.slice(known ? 1 : 0).join(' ')}'\n\n${USAGE}`)
    return 2
  }
  return { stage, values }
}

/** The action's inputs that this stage and these options stand for. */
function actionInputs(stage: string, values: CliValues, flakeIsDirectory: boolean): Record<string, string | undefined> {
  return {
    flake: flakeIsDirectory ? '.' : values.flake,
    package: values.package,
    systems: values.systems,
    outputs: values.outputs,
    'push-to': values['push-to'],
    'push-signing-key': process.env.NIX_CI_PUSH_SIGNING_KEY,
    'push-required': values['push-required'] ? 'true' : 'false',
    'extra-nix-config': values['extra-nix-config'],
    'check-fods': values['check-fods'],
    'fix-hashes': stage === 'fix-hashes' ? (values.write ? 'write' : 'report') : 'off',
    'vm-test': stage === 'vm-test' ? (values['vm-test'] ?? 'builtin') : 'off',
    service: values.service,
    'service-port': values['service-port'],
    'health-path': values['health-path'],
    release: stage === 'release' ? 'tag' : 'off',
    'version-from': values['version-from'],
    'tag-prefix': values['tag-prefix'],
    'release-branches': values['release-branches'],
    'major-tag': values['major-tag'] ? 'true' : 'false',
    cache: 'false'
  }
}

/** dist/cli.js sits one folder below the package root, where flake.nix and nix/ are. */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..')
}

async function cliGitHubTarget(
  repo: string | undefined,
  sha: string | undefined,
  cwd: string,
  reporter: TerminalReporter
): Promise<GitHubTarget | undefined> {
  const token = process.env.GITHUB_TOKEN ?? ''
  const [owner, name] = (repo ?? '').split('/')
  if (!owner || !name || !token) return undefined
  reporter.setSecret(token)
  const commit = sha ?? (await headCommit(cwd))
  const apiUrl = process.env.GITHUB_API_URL || 'https://api.github.com'
  const octokit = createGitHubClient({ token, baseUrl: apiUrl, log: m => reporter.warning(m) })
  // As in a push: the checked-out branch releases only if it is the default one or in --release-branches.
  const context: RunContext = {
    owner,
    repo: name,
    sha: commit,
    ref: await headRef(cwd).catch(() => ''),
    eventName: 'cli',
    apiUrl,
    serverUrl: 'https://github.com',
    defaultBranch: await defaultBranchOf(octokit, owner, name),
    actor: ''
  }
  return { octokit, owner, repo: name, sha: commit, context }
}

/** The repository's default branch, or undefined when GitHub does not say (the release then refuses, naming the fix). */
async function defaultBranchOf(octokit: GitHubClient, owner: string, repo: string): Promise<string | undefined> {
  try {
    return (await octokit.rest.repos.get({ owner, repo })).data.default_branch
  } catch {
    return undefined
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
