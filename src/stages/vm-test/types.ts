// What the vm-test stage reports: the outcome (the `vm-test-result` output) and, on failure, what
// the NixOS test driver said, reduced to what a reader needs.

export type VmTestOutcome = 'passed' | 'failed' | 'skipped'

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

export interface VmTestResult {
  result: VmTestOutcome
  /** One line: why it was skipped, why it failed, or what passed. */
  reason: string
  /** What was built, e.g. `path:/tmp/x#checks.x86_64-linux.service-test`. */
  installable?: string
  /** The action's timeout (`vm-test-timeout`) stopped the run. */
  timedOut: boolean
  durationMs: number
  failure?: VmTestFailure
  /** Nix's own error messages from the test build. */
  nixErrors: string[]
}
