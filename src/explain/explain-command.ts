// `nix-ci explain [FILE|-] [--json]`: reads a saved log (a CI job log, a terminal paste) as a
// stream and prints each finding with its fix, or the JSON document (json.ts). Never acts.
// Exit status: 0 the log was read (with or without findings), 1 it could not be read, 2 usage.
import { errorMessage } from '../errors.js'
import { inertLine } from '../report/terminal-reporter.js'
import { createReadStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { LineSplitter } from '../nix/line-splitter.js'
import { LogClassifier } from './classifier.js'
import { toExplainJson } from './json.js'
import { renderForPeople } from './render.js'

export interface ExplainIo {
  stdin: NodeJS.ReadableStream
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

export const EXPLAIN_USAGE = `Usage: nix-ci explain [FILE|-] [--json]

Reads a saved Nix log (a CI job log, a terminal paste; plain or --log-format internal-json, any
Nix version, with -L prefixes, nix-output-monitor frames, timestamps, quoting or code-block
indentation, even a mismatch report's pair alone) and explains each failure it recognises with
its fix, a BEAM crash under QEMU included. FILE defaults to - (standard input).

Options:
  --json       print {fodMismatches, otherHashErrors, platformMismatches, execFormatErrors,
               vmTests, failedBuilds, advice} as JSON (a mismatch read from a damaged paste
               says how in pasteDamage; its derivation is null when the paste omits it)
  -h, --help   this help
`

export async function runExplainCommand(args: string[], io: ExplainIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }
    })
  } catch (error) {
    io.stderr.write(`nix-ci explain: ${errorMessage(error)}\n\n${EXPLAIN_USAGE}`)
    return 2
  }
  if (parsed.values.help) {
    io.stdout.write(EXPLAIN_USAGE)
    return 0
  }
  if (parsed.positionals.length > 1) {
    io.stderr.write(`nix-ci explain: one log at a time, got ${parsed.positionals.length}\n\n${EXPLAIN_USAGE}`)
    return 2
  }
  const file = parsed.positionals[0] ?? '-'
  const classifier = new LogClassifier({ trust: 'plain-log' })
  try {
    await readLines(file === '-' ? io.stdin : createReadStream(file), line => classifier.push(line))
  } catch (error) {
    io.stderr.write(`nix-ci explain: cannot read ${file === '-' ? 'standard input' : file}: ${errorMessage(error)}\n`)
    return 1
  }
  const findings = classifier.finish()
  // What a log said comes back in the findings: inside a GitHub job it must not become a workflow
  // command. (JSON escapes control characters itself; a line holds no newline to start one.)
  io.stdout.write(
    parsed.values.json
      ? `${JSON.stringify(toExplainJson(findings), null, 2)}\n`
      : renderForPeople(findings).split('\n').map(inertLine).join('\n')
  )
  if (findings.truncated && parsed.values.json) io.stderr.write('nix-ci explain: more findings than it keeps; the lists are cut short\n')
  return 0
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  const splitter = new LineSplitter(onLine)
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer | string) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk))
    stream.on('end', () => {
      splitter.end()
      resolve()
    })
    stream.on('error', reject)
  })
}
