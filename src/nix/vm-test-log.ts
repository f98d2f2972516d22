// Reads a NixOS test driver's output line by line and keeps only what explains a failure: the
// subtest and command that failed, the driver's error, the command's output, and the journal lines
// of the service and of PostgreSQL (the server, and postgresql-setup.service, where current nixpkgs
// runs ensureDatabases/ensureUsers, so a role or ownership error shows). Bounded buffers
// throughout: a VM's console log can be huge.
//
// Formats recognised (nixos/lib/test-driver, Python driver, 2020 to today):
//   `<machine>: must succeed: <cmd>`, `<machine>: waiting for unit <unit>`, ... (logger.nested heads)
//   `<machine>: output: <out>` then unprefixed continuation lines (succeed() on failure)
//   `<machine> # <console line>` (serial console; journald forwards to it in test VMs)
//   `subtest: <name>` / `(finished: subtest: <name>, in N seconds)`
//   `!!! Test "<name>" failed with error: "<msg>"`, `!!! RequestedAssertionFailed: <msg>` (2024+)
//   `Exception: command `<cmd>` failed (exit code N)` after a Python traceback (before 2024)
//   `nix-ci: journal begin|end <unit>` (printed by nix-ci's own test script, nix/service-test.py)
import { stripAnsi } from './internal-json.js'

/** The failing part of a NixOS test run, extracted from the test driver's log. */
export interface VmTestFailure {
  /** The subtest that was running, e.g. `mast.service reaches active`. */
  check?: string
  /** The driver action that failed, e.g. `must succeed: curl ...` or `waiting for unit mast.service`. */
  command?: string
  /** The driver's error message, e.g. `unit "mast.service" reached state "failed"`. */
  error?: string
  /** Output of the failed command, when the driver printed it. */
  output: string[]
  /** The driver's own error lines (`!!!` lines or a Python traceback). */
  traceback: string[]
  /** The service's journal: dumped by the built-in test, else its lines from the VM console. */
  serviceJournal: string[]
  postgresqlJournal: string[]
  /** `dump` when the built-in test printed the journals, `console` when gathered from the serial log. */
  journalSource: 'dump' | 'console' | 'none'
  /** The driver's own global timeout fired (not the action's). */
  driverTimedOut: boolean
}

const MAX_OUTPUT = 60
const MAX_TRACEBACK = 40
const MAX_CONSOLE_JOURNAL = 80
const MAX_DUMPED_JOURNAL = 300

const SERIAL = /^(\S+) # (.*)$/
const MACHINE_LINE = /^([A-Za-z0-9_.-]+): (.*)$/
const ACTION = /^(must succeed: |must fail: |waiting for )/
const ACTION_FINISHED = /^\(finished: (.*), in [\d.]+ seconds\)$/
const SUBTEST_START = /^subtest: (.*)$/
const SUBTEST_END = /^\(finished: subtest: (.*), in [\d.]+ seconds\)$/
const DRIVER_ERROR = /^!!! ?(.*)$/
const EXCEPTION = /^((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Failed|Failure)): (.*)$/
const LEGACY_ERROR = /^error: (.*)$/
/** How a driver command's failure ends ("command `…` failed (exit code 1)"); see failedCommand. */
const COMMAND_FAILED_END = /` (?:failed \(exit code \d+\)|unexpectedly succeeded|did not succeed)/g
const JOURNAL_BEGIN = /^nix-ci: journal begin (\S+)$/
const JOURNAL_END = /^nix-ci: journal end (\S+)$/
const CONSOLE_SOURCE = /^\[\s*[\d.]+\]\s+([^\s[:]+)(?:\[\d+\])?:\s?(.*)$/
const GLOBAL_TIMEOUT = /timeout reached; test terminating/
/** PostgreSQL's units in the order their dumps are shown: the server, then its setup scripts. */
const POSTGRESQL_UNITS = ['postgresql.service', 'postgresql-setup.service']

export class VmTestLog {
  private readonly machines = new Set<string>()
  private subtest?: string
  private lastAction?: string
  private failedAction?: string
  private error?: string
  private failedCheck?: string
  private driverTimedOut = false
  private output: string[] = []
  private collectingOutput = false
  private readonly traceback: string[] = []
  private inTraceback = false
  private readonly consoleJournal = { service: [] as string[], postgresql: [] as string[] }
  /** Journals dumped by nix-ci's test script, per unit (a later dump of a unit replaces it). */
  private readonly dumped = new Map<string, string[]>()
  private dumping?: string[]
  private readonly serviceIds: RegExp
  private readonly serviceUnit: string

  constructor(service: string) {
    const name = escapeRegExp(service)
    // The unit's own lines (`mast[812]`), its scripts (`mast-pre-start[..]`, `...-unit-script-mast-start`).
    this.serviceIds = new RegExp(`^${name}(?:-[a-z-]+)?$`)
    this.serviceUnit = `${service}.service`
  }

  push(rawLine: string): void {
    const line = stripAnsi(rawLine).replace(/\r$/, '')
    if (this.readJournalDump(line) || this.readDriverLine(line) || this.readCommandOutput(line) || this.readSubtest(line)) return
    this.readDriverFailure(line)
  }

  /** `nix-ci: journal begin|end <unit>` and the lines between: true when the line was one of them. */
  private readJournalDump(line: string): boolean {
    if (this.dumping !== undefined) {
      if (JOURNAL_END.test(line)) this.dumping = undefined
      else pushBounded(this.dumping, line, MAX_DUMPED_JOURNAL)
      return true
    }
    const begin = JOURNAL_BEGIN.exec(line)
    if (!begin) return false
    // A unit the report has no place for is read into a buffer that is then dropped.
    this.dumping = []
    if (this.isReportedUnit(begin[1])) this.dumped.set(begin[1], this.dumping)
    return true
  }

  /** A machine's serial console line, a `!!!` error, or a `<machine>: ` message: these end a failed command's output. */
  private readDriverLine(line: string): boolean {
    const serial = SERIAL.exec(line)
    if (serial) {
      this.machines.add(serial[1])
      this.onConsole(serial[2])
      return true
    }
    const driverError = DRIVER_ERROR.exec(line)
    if (driverError) {
      this.collectingOutput = false
      this.onError(driverError[1])
      pushBounded(this.traceback, driverError[1], MAX_TRACEBACK)
      return true
    }
    const machineLine = MACHINE_LINE.exec(line)
    if (!machineLine || !this.isMachine(machineLine[1], machineLine[2])) return false
    this.collectingOutput = false
    this.onMachineMessage(machineLine[2])
    return true
  }

  /** The unprefixed lines after `<machine>: output: `, until the driver speaks again. */
  private readCommandOutput(line: string): boolean {
    if (this.collectingOutput && !this.isDriverChatter(line)) {
      pushBounded(this.output, line, MAX_OUTPUT)
      return true
    }
    this.collectingOutput = false
    return false
  }

  private readSubtest(line: string): boolean {
    const start = SUBTEST_START.exec(line)
    if (start) {
      this.subtest = start[1]
      return true
    }
    const end = SUBTEST_END.exec(line)
    if (!end) return false
    if (this.subtest === end[1]) this.subtest = undefined
    return true
  }

  /** The driver's global timeout, a Python traceback up to its exception, or a legacy `error: `. */
  private readDriverFailure(line: string): void {
    if (GLOBAL_TIMEOUT.test(line)) {
      this.driverTimedOut = true
      this.error ??= 'the test driver reached its global timeout and terminated the test'
      return
    }
    if (line.startsWith('Traceback (most recent call last)')) {
      this.inTraceback = true
      pushBounded(this.traceback, line, MAX_TRACEBACK)
      return
    }
    if (this.inTraceback) {
      pushBounded(this.traceback, line, MAX_TRACEBACK)
      if (EXCEPTION.test(line)) {
        this.inTraceback = false
        this.onError(line)
      }
      return
    }
    const legacy = LEGACY_ERROR.exec(line)
    if (legacy && this.error === undefined) this.onError(legacy[1])
  }

  /** What the log says about the failure; undefined when the driver reported none. */
  failure(): VmTestFailure | undefined {
    const dumpedService = this.dumped.get(this.serviceUnit) ?? []
    const dumpedPostgresql = POSTGRESQL_UNITS.flatMap(unit => this.dumped.get(unit) ?? [])
    const serviceJournal = dumpedService.length > 0 ? dumpedService : this.consoleJournal.service
    const postgresqlJournal = dumpedPostgresql.length > 0 ? dumpedPostgresql : this.consoleJournal.postgresql
    if (this.error === undefined && this.traceback.length === 0 && !this.driverTimedOut) return undefined
    const fromError = this.error ? failedCommand(this.error) : undefined
    return {
      check: this.failedCheck ?? this.subtest,
      command: this.failedAction ?? (fromError !== undefined ? `must succeed: ${fromError}` : this.lastAction),
      error: this.error,
      output: [...this.output],
      traceback: [...this.traceback],
      serviceJournal: [...serviceJournal],
      postgresqlJournal: [...postgresqlJournal],
      journalSource:
        dumpedService.length + dumpedPostgresql.length > 0
          ? 'dump'
          : serviceJournal.length + postgresqlJournal.length > 0
            ? 'console'
            : 'none',
      driverTimedOut: this.driverTimedOut
    }
  }

  private onMachineMessage(message: string): void {
    if (message.startsWith('output: ')) {
      // succeed() logs the output of a failed command just before raising.
      this.output = [message.slice('output: '.length)]
      this.collectingOutput = true
      this.failedAction ??= this.lastAction
      return
    }
    if (ACTION.test(message)) {
      this.lastAction = message
      return
    }
    // A finished action did not fail: it must not be blamed for a later error.
    const finished = ACTION_FINISHED.exec(message)
    if (finished && finished[1] === this.lastAction) this.lastAction = undefined
  }

  private onError(message: string): void {
    const failed = testFailed(message)
    if (failed) {
      this.failedCheck ??= failed.name
      this.error ??= failed.error
      return
    }
    const exception = EXCEPTION.exec(message)
    if (exception) {
      // The exception is the most precise statement of what failed; it wins over a subtest summary.
      this.error = exception[2]
      if (/timed out after/.test(exception[2])) this.failedAction ??= this.lastAction
      return
    }
    if (message.trim() !== '' && !message.startsWith('Traceback') && !/^\s+(File|\S)/.test(message) && this.error === undefined) {
      this.error = message.trim()
    }
  }

  private onConsole(text: string): void {
    const source = CONSOLE_SOURCE.exec(text)
    if (!source) return
    const [, id, message] = source
    const unit = unitOfScript(id)
    const kind = this.serviceIds.test(unit)
      ? 'service'
      : /^(?:postgres|postgresql)(?:-[a-z-]+)?$/.test(unit)
        ? 'postgresql'
        : id === 'systemd' && message.includes(this.serviceUnit)
          ? 'service'
          : id === 'systemd' && /postgresql(-setup)?\.service/.test(message)
            ? 'postgresql'
            : undefined
    if (kind) pushBounded(this.consoleJournal[kind], text, MAX_CONSOLE_JOURNAL)
  }

  private isReportedUnit(unit: string): boolean {
    return unit === this.serviceUnit || POSTGRESQL_UNITS.includes(unit)
  }

  /** A `name: message` line is the driver's only when name is a machine it has seen or is starting. */
  private isMachine(name: string, message: string): boolean {
    if (this.machines.has(name)) return true
    if (/^(starting vm|must succeed|must fail|waiting for |QEMU running|output: )/.test(message)) {
      this.machines.add(name)
      return true
    }
    return false
  }

  private isDriverChatter(line: string): boolean {
    return (
      SUBTEST_START.test(line) ||
      SUBTEST_END.test(line) ||
      /^\((finished: .*|[\d.]+ seconds)\)$/.test(line) ||
      line.startsWith('Traceback') ||
      /^(cleanup|kill |vde_switch: )/.test(line)
    )
  }
}

function pushBounded(lines: string[], line: string, max: number): void {
  lines.push(line)
  if (lines.length > max) lines.shift()
}

// The three readers below cut text with indexOf where a regex with two `.*` (or one searching for
// a closing quote) would backtrack quadratically on a long line that the VM's programs control.

/** `Test "<name>" failed with error: "<error>"`: the name runs to the last separator. */
function testFailed(message: string): { name: string; error: string } | undefined {
  const open = 'Test "'
  const separator = '" failed with error: "'
  if (!message.startsWith(open) || !message.endsWith('"') || message.length < open.length + 1) return undefined
  const body = message.slice(open.length, -1)
  const cut = body.lastIndexOf(separator)
  return cut < 0 ? undefined : { name: body.slice(0, cut), error: body.slice(cut + separator.length) }
}

/** The command of "command `<command>` failed (exit code 1)" (or "unexpectedly succeeded", "did not succeed"). */
function failedCommand(error: string): string | undefined {
  const start = error.indexOf('command `')
  if (start < 0) return undefined
  let end = -1
  for (const m of error.matchAll(COMMAND_FAILED_END)) end = m.index
  return end >= start + 'command `'.length ? error.slice(start + 'command `'.length, end) : undefined
}

/** The unit a systemd script belongs to (`…-unit-script-mast-start` is mast's), else the id itself. */
function unitOfScript(id: string): string {
  const marker = '-unit-script-'
  const at = id.lastIndexOf(marker)
  return at < 0 ? id : id.slice(at + marker.length)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
