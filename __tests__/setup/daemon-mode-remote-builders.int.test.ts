// Remote builders the way a GitHub runner's Nix meets them: through a nix-daemon, the job as the
// unprivileged `runner` (passwordless sudo), in or not in trusted-users. Like daemon-mode.test.ts
// it restarts the daemon, so it runs alone: `npm test -- --nix=2.34 --daemon=trusted|untrusted
// __tests__/setup/daemon-mode-remote-builders.int.test.ts`; elsewhere it is skipped and counted so.
// The remote is the real one of the other remote-builder tests (sshd + its own Nix 2.34 store);
// its port goes in the URI, as the daemon's ssh never sees this job's NIX_SSHOPTS.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { detectHostFacts } from '../../src/setup/host.js'
import { restartNixDaemon } from '../../src/setup/nix-daemon.js'
import { createFixture } from '../support/fixtures.js'
import { BOTH, buildWithRemote, localOnlyNix } from '../support/remote-builder/build.js'
import { RemoteBuilder, startRemoteBuilder } from '../support/remote-builder/index.js'
import { recordingReporter } from '../support/reporting.js'
import { daemonRun, describeIf } from '../support/requires.js'

const NIX_CONF = '/etc/nix/nix.conf'
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.()
})
const sshOptsBefore = process.env.NIX_SSHOPTS
afterAll(() => {
  if (sshOptsBefore === undefined) delete process.env.NIX_SSHOPTS
  else process.env.NIX_SSHOPTS = sshOptsBefore
})

async function remote(): Promise<RemoteBuilder> {
  const r = await startRemoteBuilder({ extraPlatforms: ['aarch64-linux'] })
  cleanups.push(() => r.stop())
  process.env.NIX_SSHOPTS = r.sshOpts
  return r
}

function fixture() {
  const f = createFixture({ systems: BOTH, packages: [{ attr: 'mast' }] })
  cleanups.push(f.cleanup)
  return f
}

/** As a runner's administrator would: the machine in the daemon's own nix.conf, then a restart. */
async function daemonBuilders(line: string): Promise<void> {
  const before = readFileSync(NIX_CONF, 'utf8')
  const write = async (text: string): Promise<void> => {
    execFileSync('sudo', ['-n', 'tee', NIX_CONF], { input: text, stdio: ['pipe', 'ignore', 'pipe'] })
    const restart = await restartNixDaemon(await detectHostFacts())
    if (!restart.ok) throw new Error(`could not restart the nix-daemon: ${restart.error}`)
  }
  await write(`${before}builders = ${line}\n`)
  cleanups.push(() => write(before))
}

describe.each(['trusted', 'untrusted'] as const)('remote builders through a nix-daemon, runner %s', which => {
  describeIf(daemonRun(which), '(real daemon, real sudo, real remote)', () => {
    it("builds aarch64 on the builder of the daemon's own nix.conf (no 'builders' input), with the key file only root can read", async () => {
      const r = await remote()
      // The key is the machine's own, 0600 and the runner's: the daemon's ssh runs as root.
      await daemonBuilders(r.machine(['aarch64-linux']))
      const reporter = recordingReporter()
      const result = await buildWithRemote(fixture(), { builders: '', sshKey: '', fallback: 'fail' }, { reporter, nix: localOnlyNix() })
      expect(reporter.text()).toMatch(/Remote builders \(from Nix's config\): 1/)
      const [x86, arm] = result.systems
      expect([x86.status, x86.builtOn]).toEqual(['built', 'local'])
      expect([arm.mode, arm.status, arm.builtOn]).toEqual(['remote', 'built', r.host])
      expect(r.hasPath(arm.outPaths[0])).toBe(true)
    })

    if (which === 'untrusted') {
      it("a 'builders' input from a user the daemon does not trust goes to the daemon's nix.conf (sudo, restart), and aarch64 builds there", async () => {
        const r = await remote()
        const before = readFileSync(NIX_CONF, 'utf8')
        cleanups.push(async () => {
          execFileSync('sudo', ['-n', 'tee', NIX_CONF], { input: before, stdio: ['pipe', 'ignore', 'pipe'] })
          const restart = await restartNixDaemon(await detectHostFacts())
          if (!restart.ok) throw new Error(`could not restart the nix-daemon: ${restart.error}`)
        })
        const reporter = recordingReporter()
        const result = await buildWithRemote(
          fixture(),
          { builders: r.machine(['aarch64-linux']), sshKey: '', fallback: 'fail' },
          { reporter }
        )
        expect(reporter.text()).toMatch(
          /Nix daemon does not trust 'runner': writing the remote builders settings to \/etc\/nix\/nix.conf and restarting it/
        )
        expect(readFileSync(NIX_CONF, 'utf8')).toMatch(
          /# Added by nix-ci for remote builders\nbuilders = ssh-ng:\/\/root@127\.0\.0\.1:\d+ aarch64-linux /
        )
        const [x86, arm] = result.systems
        expect([x86.status, x86.builtOn]).toEqual(['built', 'local'])
        expect([arm.mode, arm.status, arm.builtOn]).toEqual(['remote', 'built', r.host])
        expect(r.hasPath(arm.outPaths[0])).toBe(true)
      })
    }
  })
})
