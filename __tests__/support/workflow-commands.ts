// A model of how the GitHub Actions runner reads a step's output (actions/runner,
// src/Runner.Worker/ActionCommandManager.cs and ActionCommand.cs): every line is tried as a
// `::cmd props::data` command after trimming leading whitespace (TryParseV2), then as a legacy
// `##[cmd props]data` command found ANYWHERE in the line (TryParse). `::stop-commands::<token>`
// stops all processing until a command named exactly <token> arrives. Lines are split the way .NET's
// StreamReader.ReadLine splits them: on \n, \r\n and a lone \r.

import { afterEach, beforeEach, jest } from '@jest/globals'

export interface RunnerCommand {
  command: string
  properties: string
  data: string
  line: string
}

const KNOWN = new Set([
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'warning',
  'error',
  'notice',
  'debug',
  'group',
  'endgroup',
  'echo',
  'stop-commands'
])

function parse(line: string, registered: Set<string>): RunnerCommand | undefined {
  const v2 = line.trimStart()
  if (v2.startsWith('::')) {
    const end = v2.indexOf('::', 2)
    if (end >= 0) {
      const info = v2.slice(2, end)
      const space = info.indexOf(' ')
      const command = space < 0 ? info : info.slice(0, space)
      if (registered.has(command.toLowerCase()))
        return { command, properties: space < 0 ? '' : info.slice(space + 1), data: v2.slice(end + 2), line }
    }
  }
  const at = line.indexOf('##[')
  if (at >= 0) {
    const rb = line.indexOf(']', at)
    if (rb >= 0) {
      const info = line.slice(at + 3, rb)
      const space = info.indexOf(' ')
      const command = space < 0 ? info : info.slice(0, space)
      if (registered.has(command.toLowerCase()))
        return { command, properties: space < 0 ? '' : info.slice(space + 1), data: line.slice(rb + 1), line }
    }
  }
  return undefined
}

/** The commands the runner would act on, in order (stop-commands and its resume excluded). */
export function commandsSeenByRunner(output: string): RunnerCommand[] {
  const registered = new Set(KNOWN)
  const acted: RunnerCommand[] = []
  let stopToken: string | undefined
  for (const line of output.split(/\r\n|\n|\r/)) {
    const command = parse(line, registered)
    if (!command) continue
    if (stopToken !== undefined) {
      if (command.command.toLowerCase() === stopToken.toLowerCase()) {
        registered.delete(stopToken.toLowerCase())
        stopToken = undefined
      }
      continue
    }
    if (command.command.toLowerCase() === 'stop-commands') {
      stopToken = command.data
      registered.add(stopToken.toLowerCase())
      continue
    }
    acted.push(command)
  }
  return acted
}

/**
 * Collects what the code under test writes to stdout, where the runner reads commands, afresh for
 * each test of the file that calls it; returns the text so far.
 */
export function captureStdout(): () => string {
  let chunks: string[] = []
  beforeEach(() => {
    chunks = []
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
      return true
    })
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })
  return () => chunks.join('')
}
