// The bundles as their users run them: `node dist/index.js` the way the runner does (INPUT_*
// variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), and `node dist/cli.js` from a terminal.
// Shared by every test of what a user sees.
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './fixtures.js'

export interface ActionRun {
  status: number
  stdout: string
  stderr: string
  /** The last value of each output. */
  outputs: Record<string, string>
  /** Every output name in the order written, repeats included (an output must be written once). */
  outputNames: string[]
  summary: string
}

/** Parses the `name<<delimiter ... delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function readOutputs(file: string): { outputs: Record<string, string>; names: string[] } {
  const outputs: Record<string, string> = {}
  const names: string[] = []
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([\w-]+)<<(.+)$/.exec(lines[i])
    if (!match) continue
    const end = lines.indexOf(match[2], i + 1)
    outputs[match[1]] = lines.slice(i + 1, end).join('\n')
    names.push(match[1])
    i = end
  }
  return { outputs, names }
}

/** Runs the action bundle; `tempDir` makes the folder for the output and summary files. */
export function actionRunner(tempDir: () => string) {
  function actionEnv(inputs: Record<string, string>, workspace: string, extraEnv: Record<string, string> = {}) {
    const dir = tempDir()
    const outputFile = join(dir, 'output')
    const summaryFile = join(dir, 'summary')
    writeFileSync(outputFile, '')
    writeFileSync(summaryFile, '')
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile
    }
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
    Object.assign(env, extraEnv)
    const read = () => {
      const { outputs, names } = readOutputs(outputFile)
      return { outputs, outputNames: names, summary: readFileSync(summaryFile, 'utf8') }
    }
    return { env, read }
  }

  /** Synchronous: for runs that talk to no server in this process. */
  function runAction(inputs: Record<string, string>, workspace: string, extraEnv: Record<string, string> = {}): ActionRun {
    const { env, read } = actionEnv(inputs, workspace, extraEnv)
    const child = spawnSync('node', [join(REPO_ROOT, 'dist/index.js')], { env, encoding: 'utf8', timeout: 240_000 })
    return { status: child.status ?? -1, stdout: child.stdout, stderr: child.stderr, ...read() }
  }

  /** For runs that talk to a server in this process: the event loop must keep running. */
  function runActionAsync(inputs: Record<string, string>, workspace: string, extraEnv: Record<string, string> = {}): Promise<ActionRun> {
    const { env, read } = actionEnv(inputs, workspace, extraEnv)
    return new Promise(done => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'dist/index.js')],
        { env, encoding: 'utf8', timeout: 240_000 },
        (error, stdout, stderr) => {
          done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr, ...read() })
        }
      )
    })
  }

  return { runAction, runActionAsync }
}

/** `node dist/cli.js ARGS` from a terminal. */
export function runCli(args: string[], options: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawnSync('node', [join(REPO_ROOT, 'dist/cli.js'), ...args], { encoding: 'utf8', timeout: 240_000, ...options })
  return { status: child.status ?? -1, signal: child.signal, stdout: child.stdout, stderr: child.stderr }
}
