// NixOS VM tests in a log: the test driver's output, read by the vm-test stage's VmTestLog, one per
// test (keyed by the `name> ` prefix of `nix build -L`, the failing derivation of a quoted tail,
// or '' for unprefixed driver output). A key is only fed once driver output has shown up on it,
// so ordinary build logs cost one regular-expression test per line. Also KVM trouble from QEMU.
import { VmTestLog } from '../../nix/vm-test-log.js'
import { LineRecogniser, MAX_FINDINGS, Origin, VmTestFinding } from '../types.js'

const DRIVER_LINE =
  /^(?:[A-Za-z0-9_.-]+: (?:must succeed: |must fail: |waiting for |starting vm|QEMU running)|subtest: |!!! |Test ".*" failed with error: |test script finished in |run the VM test script|Machine state will be reset|Test will time out and terminate)/
const FINISHED = /^test script finished in [\d.]+s/
const KVM =
  /(Could not access KVM kernel module: .*|failed to initiali[sz]e kvm: .*|failed to initiali[sz]e KVM: .*|\/dev\/kvm(?:(?!\/dev\/kvm)[^\n])*(?:Permission denied|No such file or directory))/
// (The /dev/kvm part stops at the next "/dev/kvm": a line of them is read in linear time.)
const TEST_DRV = /-(?:vm-test-run|nixos-test)/
const MAX_TESTS = 16
/** VmTestLog keeps journals of one service; explain has none to name. */
const NO_SERVICE = 'nix-ci-explain-no-service'

interface TestRun {
  log: VmTestLog
  drv?: string
  finished: boolean
  kvmError?: string
}

export class VmTestRecogniser implements LineRecogniser {
  private readonly runs = new Map<string, TestRun>()
  truncated = false
  /** The latest `building '…vm-test-run-….drv'` Nix announced: the test of unprefixed driver output. */
  private lastTestDrv?: string

  get active(): boolean {
    return this.runs.size > 0
  }

  /** Nix announced a build: remembers NixOS test derivations for unprefixed driver output. */
  noteBuilding(drv: string): void {
    // One per `building '…'` line: the expression only for a name that may be a test's.
    if (drv.includes('test') && isTestDrv(drv)) this.lastTestDrv = drv
  }

  push(text: string, origin: Origin): void {
    const key = origin.from === 'builder' ? origin.key : ''
    let run = this.runs.get(key)
    if (!run) {
      const kvm = KVM.exec(text)
      if (!kvm && !DRIVER_LINE.test(text)) return
      if (this.runs.size >= MAX_TESTS) {
        this.truncated = true
        return
      }
      run = { log: new VmTestLog(NO_SERVICE), finished: false }
      this.runs.set(key, run)
    }
    if (origin.from === 'builder' && origin.drv) run.drv = origin.drv
    else if (key === '' && this.lastTestDrv) run.drv ??= this.lastTestDrv
    if (FINISHED.test(text)) run.finished = true
    const kvm = text.includes('KVM') || text.includes('kvm') ? KVM.exec(text) : null
    if (kvm) run.kvmError ??= kvm[1].trim()
    run.log.push(text)
  }

  /** @param failedDrvs derivations Nix reported as failed: a test whose build failed did not pass. */
  finish(failedDrvs: ReadonlySet<string>, drvOfName: (name: string) => string | undefined): VmTestFinding[] {
    const tests: VmTestFinding[] = []
    for (const [key, run] of this.runs) {
      const failure = run.log.failure()
      const derivation = run.drv ?? (key !== '' ? drvOfName(key) : undefined)
      const failed = failure !== undefined || run.kvmError !== undefined || (derivation !== undefined && failedDrvs.has(derivation))
      // Driver output that neither failed nor reached its end says nothing either way.
      if (!failed && !run.finished) continue
      const error = failure?.error ?? run.kvmError
      tests.push({
        ...(derivation !== undefined ? { derivation } : {}),
        result: failed ? 'failed' : 'passed',
        ...(failed && failure?.check !== undefined ? { subtest: failure.check } : {}),
        ...(failed && failure?.command !== undefined ? { failedCommand: failure.command } : {}),
        ...(failed && error !== undefined ? { error } : {}),
        ...(run.kvmError !== undefined ? { kvmError: run.kvmError } : {})
      })
      if (tests.length >= MAX_FINDINGS) break
    }
    return tests
  }
}

/** A `…-vm-test-run-….drv` or `…-nixos-test-….drv` derivation, judged on its base name (no regex scans to the end). */
function isTestDrv(drv: string): boolean {
  const name = drv.slice(drv.lastIndexOf('/') + 1)
  return name.endsWith('.drv') && TEST_DRV.test(name)
}
