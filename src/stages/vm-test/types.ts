// What the vm-test stage reports: the outcome (the `vm-test-result` output) and, on failure, what
// the NixOS test driver said, reduced to what a reader needs.

import type { VmTestFailure } from '../../nix/vm-test-log.js'
import type { StageOutcome } from '../stage.js'

export type { VmTestFailure }

export type VmTestOutcome = 'passed' | 'failed' | 'skipped'

export interface VmTestResult extends StageOutcome {
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
