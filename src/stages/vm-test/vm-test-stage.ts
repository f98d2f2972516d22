// The vm-test stage: boots the flake's NixOS service in a VM (nix-ci's built-in test or the user's
// own check), under KVM and a deadline, and explains a failure from the test driver's log.
//   off       -> skipped
//   auto      -> the built-in test when the flake exports nixosModules.default, else skipped;
//                no /dev/kvm -> skipped with a warning
//   builtin   -> the built-in test; no module or no /dev/kvm -> failed
//   attribute -> `<flake>#<attribute>`; no /dev/kvm -> failed
import type { VmTest } from '../../inputs.js'
import { readNixConfig } from '../../nix/config.js'
import { NixRunner } from '../../nix/runner.js'
import type { Reporter } from '../../report/reporter.js'
import { HostFacts, detectHostFacts } from '../../setup/host.js'
import { KvmError, KvmUnavailableError, ProbeShell, setUpKvm } from './kvm.js'
import { runVmTestBuild } from './run-test.js'
import type { StageEnv } from '../stage.js'
import { BuiltinTest, attributeInstallable, exportsNixosModule, prepareBuiltinTest } from './target.js'
import type { VmTestResult } from './types.js'
import { vmTestSummary } from './vm-test-report.js'

export type { VmTestResult } from './types.js'

export interface VmTestStageOptions extends StageEnv {
  mode: VmTest
  /** The flake under test, as the `flake` input gives it (relative to cwd). */
  flake: string
  service: string
  servicePort: number
  healthPath: string
  /** A table the app's migrations create; the built-in test's default is `health_checks`. */
  table?: string
  /** `vm-test-timeout`, in minutes: the whole test build, evaluation included. */
  timeoutMinutes: number
  /** nix-ci's own folder (flake.nix and nix/), where the built-in test lives. */
  actionDir: string
  /** Host facts for the KVM set-up (detected when not given; tests inject them). */
  hostFacts?: HostFacts
  kvmDevice?: string
  udevRulesDir?: string
  probeShell?: ProbeShell
}

export async function runVmTestStage(options: VmTestStageOptions): Promise<VmTestResult> {
  const result = withOutcome(await decideAndRun(options))
  report(result, options)
  return result
}

type Judged = Omit<VmTestResult, 'ok' | 'failures'>

/** The stage's outcome: only a failed test fails the run. */
function withOutcome(result: Judged): VmTestResult {
  return {
    ...result,
    ok: result.result !== 'failed',
    failures: result.result === 'failed' ? [`NixOS VM test failed: ${result.reason}`] : []
  }
}

async function decideAndRun(options: VmTestStageOptions): Promise<Judged> {
  if (options.mode.mode === 'off') return skipped('vm-test is off.')
  return options.reporter.group('NixOS VM test', async () => {
    const config = await readNixConfig(options.nix)
    const target = await chooseTarget(options, config.system)
    if ('result' in target) return target
    const kvm = await prepareKvm(options)
    if ('result' in kvm) return kvm
    const test = target.builtin
      ? await prepareBuiltinTest(options.actionDir, options.flake, config.system, builtinSettings(options))
      : undefined
    const installable = test?.installable ?? attributeInstallable(options.flake, (options.mode as { attribute: string }).attribute)
    try {
      return await runAndJudge(options, kvm.nix, installable, test)
    } finally {
      await test?.cleanup()
    }
  })
}

/** Whether this runner can run it, and which test: the built-in one or the user's attribute. */
async function chooseTarget(options: VmTestStageOptions, system: string): Promise<{ builtin: boolean } | Judged> {
  const { mode, reporter } = options
  const strict = mode.mode !== 'auto'
  if (!system.endsWith('-linux')) {
    const reason = `NixOS VM tests need a Linux runner with KVM; this runner is ${system}.`
    return strict ? failed(reason) : skipped(reason, 'warning', reporter)
  }
  if (mode.mode === 'attribute') return { builtin: false }
  if (await exportsNixosModule(options.nix, options.flake, options.cwd)) return { builtin: true }
  const reason = `The flake '${options.flake}' exports no nixosModules.default, so there is no service for the built-in VM test to boot.`
  if (strict)
    return failed(
      `${reason} Export the module as nixosModules.default, name your own test with \`vm-test: checks.<system>.<name>\`, or set \`vm-test: off\`.`
    )
  return skipped(`${reason} (vm-test: auto)`, 'notice', reporter)
}

/** KVM for Nix's builds, confirmed; `auto` skips without it, the other modes fail. */
async function prepareKvm(options: VmTestStageOptions): Promise<{ nix: NixRunner } | Judged> {
  const { reporter } = options
  try {
    const kvm = await setUpKvm({
      nix: options.nix,
      facts: options.hostFacts ?? (await detectHostFacts()),
      reporter,
      device: options.kvmDevice,
      udevRulesDir: options.udevRulesDir,
      probeShell: options.probeShell
    })
    reporter.info(
      `KVM ready: device ${kvm.device}, features ${kvm.features}, probe ${kvm.probe === 'opened' ? 'opened /dev/kvm in the sandbox' : 'scheduled (no shell in the sandbox to open /dev/kvm)'}`
    )
    return { nix: kvm.nix }
  } catch (error) {
    if (error instanceof KvmUnavailableError && options.mode.mode === 'auto') return skipped(error.message, 'warning', reporter)
    if (error instanceof KvmError) return failed(error.message)
    throw error
  }
}

function builtinSettings(options: VmTestStageOptions) {
  return { service: options.service, port: options.servicePort, healthPath: options.healthPath, table: options.table }
}

/** Builds the test under the deadline, and says what happened from the driver's log. */
async function runAndJudge(
  options: VmTestStageOptions,
  nix: NixRunner,
  installable: string,
  test: BuiltinTest | undefined
): Promise<Judged> {
  const timeoutMs = Math.round(options.timeoutMinutes * 60_000)
  const about = test ? ` for services.${options.service} (port ${options.servicePort}, GET ${options.healthPath})` : ''
  options.reporter.info(`Building ${installable}${about}, timeout ${options.timeoutMinutes} min`)
  const run = await runVmTestBuild({
    nix,
    installable,
    extraArgs: test?.args ?? [],
    timeoutMs,
    service: options.service,
    reporter: options.reporter,
    cwd: options.cwd,
    signal: options.signal
  })
  const base = { installable, durationMs: run.durationMs, nixErrors: run.nixErrors, timedOut: run.timedOut }
  if (run.exitCode === 0) {
    return {
      ...base,
      result: 'passed',
      reason: test
        ? `services.${options.service} booted with PostgreSQL, served GET ${options.healthPath}, and came back after a restart.`
        : `${installable} passed.`
    }
  }
  const failure = run.log.failure()
  let reason: string
  if (run.timedOut) {
    reason = `The VM test did not finish within vm-test-timeout (${options.timeoutMinutes} min) and was stopped. Raise \`vm-test-timeout\` if the test is just slow.`
  } else if (run.cancelled) {
    reason = 'The VM test was cancelled.'
  } else if (failure?.error !== undefined) {
    reason = `The VM test failed${failure.check ? ` in "${failure.check}"` : ''}: ${failure.error}`
  } else {
    reason = `Building the VM test failed before the test ran: ${run.nixErrors[0]?.split('\n')[0] ?? `nix exited with ${run.exitCode}`}`
  }
  return { ...base, result: 'failed', reason, failure }
}

function skipped(reason: string, level?: 'notice' | 'warning', reporter?: Reporter): Judged {
  if (level === 'warning') reporter?.warning(reason, { title: 'VM test skipped' })
  if (level === 'notice') reporter?.notice(reason, { title: 'VM test skipped' })
  return { result: 'skipped', reason, timedOut: false, durationMs: 0, nixErrors: [] }
}

function failed(reason: string): Judged {
  return { result: 'failed', reason, timedOut: false, durationMs: 0, nixErrors: [] }
}

function report(result: VmTestResult, options: VmTestStageOptions): void {
  const { reporter } = options
  reporter.setOutput('vm-test-result', result.result)
  if (result.result === 'failed') reporter.error(result.reason, { title: result.timedOut ? 'VM test timed out' : 'VM test failed' })
  if (result.result !== 'skipped' || options.mode.mode !== 'off') reporter.addSummary(vmTestSummary(result, options.service))
}
