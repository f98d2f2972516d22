// A builder's output reaches the runner's log, and the runner reads workflow commands (`::error::`,
// `::set-output::`, legacy `##[...]`) from every line a step prints. Real Nix builds whose builders
// print commands, through the action's reporter: none of them may be acted on by the runner.
import { afterEach, describe, expect, it } from '@jest/globals'
import { ActionReporter } from '../../src/report/action-reporter.js'
import { runBuildStage } from '../../src/stages/build/build-stage.js'
import { runVmTestBuild } from '../../src/stages/vm-test/run-test.js'
import { Fixture, createFixture, testNix } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'
import { captureStdout, commandsSeenByRunner } from '../support/workflow-commands.js'

const X86 = ['x86_64-linux']
const fixtures: Fixture[] = []
const stdoutText = captureStdout()
afterEach(() => {
  while (fixtures.length) fixtures.pop()?.cleanup()
})

/** A builder that speaks in workflow commands: through Nix's msg relay, its own activity (Nix 2.8 relays a builder's activities of type 101, file transfer), and plain lines. */
const HOSTILE = [
  `printf '%s\\n' '@nix {"action":"msg","level":0,"msg":"compiling\\n::error file=flake.nix,line=1::FORGED-MSG"}' >&2`,
  `printf '%s\\n' '@nix {"action":"start","id":77,"level":0,"type":101,"text":"x","fields":[]}' >&2`,
  `printf '%s\\n' '@nix {"action":"result","id":77,"type":101,"fields":["::set-output name=tag::FORGED-RESULT"]}' >&2`,
  `echo '::warning::FORGED-PLAIN'`,
  `echo 'compiled ##[error]FORGED-LEGACY'`,
  `printf 'half\\r::notice::FORGED-CR\\n'`
].join('; ')

function hostileFixture(exitCode: number): Fixture {
  const f = createFixture({ systems: X86, packages: [{ attr: 'mast', script: `${HOSTILE}; mkdir -p $out; exit ${exitCode}` }] })
  fixtures.push(f)
  return f
}

/**
 * Commands the runner would act on that carry a builder's text. nix-ci's own failure annotation
 * quotes the builder's last lines as its (escaped) message: one command of ours, the text inert.
 */
function forged(): string[] {
  return commandsSeenByRunner(stdoutText())
    .filter(c => c.line.includes('FORGED') && !(c.command === 'error' && c.properties.startsWith('title=Build failed for x86_64-linux')))
    .map(c => c.line)
}

describe('builder output in the action log', () => {
  it('reaches stdout verbatim, yet the runner acts on none of the commands a builder prints', async () => {
    const f = hostileFixture(0)
    const reporter = new ActionReporter()
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: X86, nix: testNix(), reporter })
    await reporter.writeSummary()
    expect(result.ok).toBe(true)
    const text = stdoutText()
    // The lines are shown (a maintainer needs the log) ...
    expect(text).toContain('FORGED-MSG')
    expect(text).toContain('FORGED-RESULT')
    expect(text).toContain('FORGED-LEGACY')
    // ... and the runner would act on none of them.
    expect(forged()).toEqual([])
    // Our own commands still work: the outputs are set and groups open and close.
    const ours = commandsSeenByRunner(text).map(c => c.command)
    expect(ours).toContain('group')
    expect(ours).toContain('endgroup')
  })

  it("keeps a failed build's quoted log lines inert in the failure report too", async () => {
    const f = hostileFixture(3)
    const reporter = new ActionReporter()
    const result = await runBuildStage({ flake: f.dir, package: 'default', systems: X86, nix: testNix(), reporter })
    await reporter.writeSummary()
    expect(result.ok).toBe(false)
    expect(stdoutText()).toContain('FORGED-LEGACY')
    expect(forged()).toEqual([])
  })

  it("keeps the VM-test build's log lines inert as well", async () => {
    const f = hostileFixture(0)
    const reporter = new ActionReporter()
    const run = await runVmTestBuild({
      nix: testNix(),
      installable: `${f.dir}#default`,
      timeoutMs: 120_000,
      service: 'mast',
      reporter,
      cwd: f.dir
    })
    await reporter.writeSummary()
    expect(run.exitCode).toBe(0)
    expect(stdoutText()).toContain('FORGED-LEGACY')
    expect(forged()).toEqual([])
  })

  it('never prints the stop token before the text it guards, and never reuses one', async () => {
    const reporter = new ActionReporter()
    reporter.untrusted('::error::one')
    reporter.warning('ours')
    reporter.untrusted('::error::two')
    await reporter.writeSummary()
    const text = stdoutText()
    const tokens = [...text.matchAll(/^::stop-commands::(.+)$/gm)].map(m => m[1])
    expect(tokens).toHaveLength(2)
    expect(new Set(tokens).size).toBe(2)
    for (const token of tokens) {
      expect(token).toMatch(/^[0-9a-f]{32,}$/)
      // Printed exactly twice: opening and closing its own region.
      expect(text.split(token).length - 1).toBe(2)
    }
    expect(commandsSeenByRunner(text).map(c => c.data)).toEqual(['ours'])
  })
})

describe('builder output on a terminal', () => {
  it('cannot start a workflow command or a terminal escape either (the CLI also runs inside Actions)', async () => {
    const f = hostileFixture(0)
    const reporter = recordingReporter()
    await runBuildStage({ flake: f.dir, package: 'default', systems: X86, nix: testNix(), reporter })
    reporter.untrusted('title\u001b]0;pwned\u0007 ::error::FORGED-TERM')
    const text = reporter.text()
    expect(text).toContain('FORGED-RESULT')
    expect(commandsSeenByRunner(text).filter(c => c.line.includes('FORGED'))).toEqual([])
    expect(text).not.toContain('\u001b]')
    expect(text).not.toContain('\u0007')
  })
})
