// The action as it runs on GitHub's hosted runners: Nix through a multi-user nix-daemon, the job as
// an unprivileged user with passwordless sudo. `npm test -- --nix=2.34 --daemon=trusted|untrusted`
// runs this file as the `runner` user of a test-world chroot (scripts/nix-world.sh); elsewhere it
// is skipped and counted as skipped. Nothing here is faked: the host facts are detected, nix.conf
// is written with sudo and the daemon really restarts.
import { afterAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { platformRefusal } from '../../src/nix/messages.js'
import { NixRunner } from '../../src/nix/runner.js'
import { readNixConfig } from '../../src/nix/config.js'
import { setUpEmulation } from '../../src/setup/emulation.js'
import { applyNixSettings } from '../../src/setup/nix-settings.js'
import { detectHostFacts, usesNixDaemon } from '../../src/setup/host.js'
import { findDaemonProcess } from '../../src/setup/nix-daemon.js'
import { planSystems } from '../../src/setup/platforms.js'
import { runBuildStage } from '../../src/stages/build/build-stage.js'
import { KvmUnavailableError, setUpKvm } from '../../src/stages/vm-test/kvm.js'
import { createFixture } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'
import { KVM, NO_KVM, daemonRun, describeIf, itIf } from '../support/requires.js'

// What a workflow passes: only settings an untrusted client may set.
const nix = () => new NixRunner({ nixConfig: 'substituters =' })
const BOTH = ['x86_64-linux', 'aarch64-linux']
const cleanups: (() => void)[] = []
afterAll(() => cleanups.forEach(c => c()))

async function buildBoth() {
  const f = createFixture({ systems: BOTH, fods: [{ attr: 'deps', content: 'hex deps' }], packages: [{ attr: 'app', fods: ['deps'] }] })
  cleanups.push(f.cleanup)
  const reporter = recordingReporter()
  const result = await runBuildStage({ flake: f.dir, package: 'default', systems: BOTH, nix: nix(), reporter })
  return { result, reporter }
}

describe.each(['trusted', 'untrusted'] as const)('a GitHub-runner-like Nix, runner %s', which => {
  describeIf(daemonRun(which), '(real daemon, real sudo)', () => {
    it('is what the action detects: not root, passwordless sudo, Nix through the daemon', async () => {
      const facts = await detectHostFacts()
      expect([facts.user, facts.isRoot, facts.canSudo]).toEqual(['runner', false, true])
      expect(await usesNixDaemon((await readNixConfig(nix())).store)).toBe(true)
      expect((await readNixConfig(nix())).trustedUsers.includes('runner')).toBe(which === 'trusted')
    })

    it('sets up QEMU emulation the way this trust level allows, and Nix confirms it', async () => {
      const daemonBefore = await findDaemonProcess('/proc')
      const reporter = recordingReporter()
      const setup = await setUpEmulation(planSystems(['aarch64-linux'], 'x86_64-linux'), nix(), await detectHostFacts(), reporter)
      const daemonAfter = await findDaemonProcess('/proc')
      if (which === 'trusted') {
        expect(setup.how).toBe('client-settings')
        expect(daemonAfter?.pid).toBe(daemonBefore?.pid)
      } else {
        // The daemon ignores an untrusted client's extra-platforms: nix.conf, then a real restart.
        expect(setup.how).toBe('nix.conf')
        expect(readFileSync('/etc/nix/nix.conf', 'utf8')).toMatch(
          /# Added by nix-ci for QEMU user emulation\nextra-platforms = aarch64-linux/
        )
        expect(reporter.text()).toMatch(/Restarted the Nix daemon \(no systemd: stopped and started its process again\)/)
        expect(daemonAfter?.pid).not.toBe(daemonBefore?.pid)
        expect(daemonAfter?.argv).toEqual(daemonBefore?.argv)
      }
      expect((await readNixConfig(setup.nix)).extraPlatforms).toContain('aarch64-linux')
    })

    it('builds both systems through the daemon, aarch64 under QEMU, with the shared fixed-output derivation once', async () => {
      const { result, reporter } = await buildBoth()
      expect(result.systems.map(s => [s.system, s.mode, s.status])).toEqual([
        ['x86_64-linux', 'native', 'built'],
        ['aarch64-linux', 'emulated', 'built']
      ])
      expect(readFileSync(join(result.systems[1].outPaths[0], 'arch'), 'utf8').trim()).toBe('aarch64')
      expect(result.builtDerivations.filter(d => d.endsWith('-deps-0.1.0.drv'))).toHaveLength(1)
      expect(reporter.text()).not.toMatch(/\[\?\]/)
    })

    itIf(KVM, 'sets up KVM for the VM test, and Nix schedules a derivation that needs it', async () => {
      const reporter = recordingReporter()
      const kvm = await setUpKvm({ nix: nix(), facts: await detectHostFacts(), reporter })
      // The untrusted world's nix.conf lists no kvm feature (scripts/test.sh), so it must be added there.
      expect(kvm.features).toBe(which === 'trusted' ? 'already-enabled' : 'nix.conf')
      expect(kvm.probe).toBe('opened')
    })

    itIf(NO_KVM, 'without /dev/kvm, the KVM set-up says so and what to do, and leaves nix.conf and the daemon alone', async () => {
      const confBefore = readFileSync('/etc/nix/nix.conf', 'utf8')
      const daemonBefore = await findDaemonProcess('/proc')
      const reporter = recordingReporter()
      const setup = setUpKvm({ nix: nix(), facts: await detectHostFacts(), reporter })
      await expect(setup).rejects.toThrow(KvmUnavailableError)
      await expect(setup).rejects.toThrow(/^\/dev\/kvm does not exist on this runner.*or set `vm-test: off` here\.$/)
      expect(readFileSync('/etc/nix/nix.conf', 'utf8')).toBe(confBefore)
      expect((await findDaemonProcess('/proc'))?.pid).toBe(daemonBefore?.pid)
    })
  })
})

describe('a daemon and a trusted client (measured, Nix 2.34)', () => {
  describeIf(daemonRun('trusted'), 'system-features', () => {
    it("are the daemon's own: a trusted client asking for a feature gets no build that needs it, so nix-ci writes nix.conf", async () => {
      const feature = `nix-ci-feature-${process.pid}`
      const f = createFixture({ systems: ['x86_64-linux'], packages: [{ attr: 'app' }] })
      cleanups.push(f.cleanup)
      const bb = `\${builtins.path { path = ${JSON.stringify(join(f.dir, 'builders/x86_64-linux'))}; name = "bb"; }}/busybox`
      const needs = `derivation { name = "needs-${feature}"; system = "x86_64-linux"; builder = "${bb}"; args = [ "sh" "-c" "echo ok > $out" ]; requiredSystemFeatures = [ "${feature}" ]; }`
      const build = async (runner: NixRunner) => {
        const stderr: string[] = []
        const result = await runner.run({ args: ['build', '--no-link', '--impure', '--expr', needs], onLine: l => stderr.push(l.text) })
        return { exitCode: result.exitCode, refusal: platformRefusal(stderr) }
      }
      const asked = await build(nix().withConfig(`extra-system-features = ${feature}`))
      expect(asked.exitCode).not.toBe(0)
      expect(asked.refusal).toContain(feature)

      const reporter = recordingReporter()
      const applied = await applyNixSettings(nix(), await detectHostFacts(), reporter, {
        settings: `extra-system-features = ${feature}`,
        purpose: 'a test feature',
        withoutThem: 'nothing needing it would build',
        error: message => new Error(message),
        daemonOnly: true
      })
      expect(applied.how).toBe('nix.conf')
      expect(reporter.text()).toMatch(/takes these settings only from its own nix.conf/)
      expect(await build(nix())).toEqual({ exitCode: 0, refusal: undefined })
    })
  })
})
