// Failure extraction from NixOS test driver output: the excerpts in __tests__/fixtures/vm-test-logs
// (each with a .source.txt saying how it was made) are fed line by line, as the stage does.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { VmTestLog } from '../../src/nix/vm-test-log.js'
import { vmTestSummary } from '../../src/stages/vm-test/vm-test-report.js'
import { REPO_ROOT } from '../support/fixtures.js'

const LOGS = join(REPO_ROOT, '__tests__', 'fixtures', 'vm-test-logs')

function extract(file: string, service = 'mast'): ReturnType<VmTestLog['failure']> {
  const log = new VmTestLog(service)
  for (const line of readFileSync(join(LOGS, file), 'utf8').split('\n')) log.push(line)
  return log.failure()
}

describe('failure extraction from the test driver log', () => {
  it('names the failed unit wait and keeps the journals the built-in test dumped', () => {
    const failure = extract('driver-2025-wait-for-unit-failed.log')
    expect(failure).toMatchObject({
      check: 'mast.service reaches active',
      command: 'waiting for unit mast.service',
      error: 'unit "mast.service" reached state "failed"',
      journalSource: 'dump',
      driverTimedOut: false
    })
    expect(failure?.serviceJournal).toHaveLength(6)
    expect(failure?.serviceJournal.join('\n')).toMatch(/mast-pre-start\[731\]: .*role "mast" does not exist/)
    expect(failure?.postgresqlJournal.join('\n')).toMatch(/database system is ready to accept connections/)
    // ANSI colour codes are gone, console noise from other units is not in the journals.
    expect(readFileSync(join(LOGS, 'driver-2025-wait-for-unit-failed.log'), 'utf8')).toContain('\u001b[')
    expect(
      [failure?.check, failure?.command, failure?.error, ...(failure?.serviceJournal ?? []), ...(failure?.traceback ?? [])].join('\n')
    ).not.toContain('\u001b')
    expect(failure?.serviceJournal.join('\n')).not.toMatch(/environment file|Linux version/)
  })

  it("names the failed command and its output, and gathers the units' console lines when nothing was dumped", () => {
    const failure = extract('driver-2025-succeed-failed.log')
    expect(failure).toMatchObject({
      check: 'the api answers',
      command: 'must succeed: curl --fail -sS http://127.0.0.1:4000/api/health',
      error: 'command `curl --fail -sS http://127.0.0.1:4000/api/health` failed (exit code 22)',
      output: ['curl: (22) The requested URL returned error: 500', ''],
      journalSource: 'console'
    })
    expect(failure?.serviceJournal).toEqual([
      '[   11.204001] mast[745]: 10:00:11.203 [info] Running MastWeb.Endpoint with Bandit 1.7.0 at :::4000 (http)',
      '[   12.310554] mast[745]: 10:00:12.310 request_id=GBx0 [info] GET /api/health',
      '[   12.318420] mast[745]: 10:00:12.317 request_id=GBx0 [error] ** (Ecto.QueryError) table "health_checks" does not exist'
    ])
    expect(failure?.postgresqlJournal.map(l => l.replace(/^\[\s*[\d.]+\] /, ''))).toEqual([
      'postgres[702]: 2025-06-01 10:00:07.201 UTC [702] LOG:  starting PostgreSQL 17.5 on x86_64-pc-linux-gnu',
      'postgresql-setup-start[716]: CREATE ROLE'
    ])
  })

  it('does not blame an action that finished when the script raises its own exception', () => {
    const failure = extract('driver-2025-own-exception.log')
    expect(failure).toMatchObject({
      check: 'mast answers GET / with 2xx/3xx after boot',
      error: 'GET http://127.0.0.1:4000/ answered HTTP 500 after boot; expected 2xx or 3xx',
      journalSource: 'dump'
    })
    expect(failure?.command).toBeUndefined()
    expect(failure?.serviceJournal.join('\n')).toMatch(/SECRET_KEY_BASE is missing/)
  })

  it('reads the 2021 driver: plain traceback, Exception with the command, multi-line output', () => {
    const failure = extract('driver-2021-exception.log')
    expect(failure).toMatchObject({
      command: "must succeed: runuser -u postgres -- psql -d mast -tAc 'SELECT 1 FROM health_checks LIMIT 1'",
      error: "command `runuser -u postgres -- psql -d mast -tAc 'SELECT 1 FROM health_checks LIMIT 1'` failed (exit code 1)",
      output: ['ERROR:  relation "health_checks" does not exist', 'LINE 1: SELECT 1 FROM health_checks LIMIT 1', '                      ^']
    })
  })

  it('says which wait timed out', () => {
    const failure = extract('driver-2025-port-timeout.log')
    expect(failure).toMatchObject({
      check: 'mast answers GET / with 2xx/3xx after restart',
      command: 'waiting for TCP port 4000 on localhost',
      error: 'action timed out after 300.41 seconds (timeout=300)'
    })
    expect(failure?.serviceJournal.join('\n')).toMatch(/DATABASE_URL/)
  })

  it("shows postgresql-setup.service's journal (where current nixpkgs runs ensureUsers) after the server's, so a role error is in the report", () => {
    const failure = extract('driver-2025-postgresql-setup-failed.log')
    expect(failure).toMatchObject({
      check: 'mast.service reaches active',
      command: 'waiting for unit mast.service',
      error: 'unit "mast.service" is inactive and there are no pending jobs',
      journalSource: 'dump'
    })
    expect(failure?.serviceJournal).toEqual([
      '[    7.822455] machine systemd[1]: Dependency failed for Mast.',
      "[    7.822501] machine systemd[1]: mast.service: Job mast.service/start failed with result 'dependency'."
    ])
    const postgresql = failure?.postgresqlJournal ?? []
    expect(postgresql).toHaveLength(12)
    // The server's dump first, then the setup unit's: its own failure is the last thing shown.
    expect(postgresql[0]).toBe('[    6.901122] machine systemd[1]: Starting PostgreSQL Server...')
    expect(postgresql.slice(-4)).toEqual([
      '[    7.812330] machine postgresql-setup-start[716]: ERROR:  role "mast" does not exist',
      '[    7.820871] machine systemd[1]: postgresql-setup.service: Main process exited, code=exited, status=1/FAILURE',
      "[    7.821240] machine systemd[1]: postgresql-setup.service: Failed with result 'exit-code'.",
      '[    7.821907] machine systemd[1]: Failed to start PostgreSQL Setup Scripts.'
    ])
    const markdown = vmTestSummary(
      { result: 'failed', reason: 'The VM test failed', timedOut: false, durationMs: 0, failure, nixErrors: [] },
      'mast'
    )
    expect(markdown).toMatch(
      /<summary>postgresql journal \(journalctl in the VM\)<\/summary>[\s\S]*postgresql-setup-start\[716\]: ERROR: {2}role "mast" does not exist/
    )
  })

  it('keeps the last dump of each unit, in server-then-setup order, and drops dumps of units it does not report', () => {
    const log = new VmTestLog('mast')
    for (const line of [
      'subtest: mast.service reaches active',
      'nix-ci: journal begin postgresql-setup.service',
      'setup: first dump',
      'nix-ci: journal end postgresql-setup.service',
      'nix-ci: journal begin nginx.service',
      'nginx: not ours',
      'nix-ci: journal end nginx.service',
      'nix-ci: journal begin postgresql-setup.service',
      'setup: second dump',
      'nix-ci: journal end postgresql-setup.service',
      'nix-ci: journal begin postgresql.service',
      'server: dump',
      'nix-ci: journal end postgresql.service',
      '!!! Test "mast.service reaches active" failed with error: "unit "mast.service" reached state "failed""'
    ])
      log.push(line)
    expect(log.failure()).toMatchObject({
      postgresqlJournal: ['server: dump', 'setup: second dump'],
      serviceJournal: [],
      journalSource: 'dump'
    })
  })

  it('reports nothing for a passing run, and does not take another unit whose name starts like the service for its journal', () => {
    const log = new VmTestLog('mast')
    for (const line of ['subtest: ok', '(finished: subtest: ok, in 1.00 seconds)', 'machine # [ 1.0] mastodon[1]: not us']) log.push(line)
    expect(log.failure()).toBeUndefined()
  })
})

describe('the job summary of a failure', () => {
  it('shows the check, command, error, output and journals, with fences logs cannot break', () => {
    const failure = extract('driver-2025-succeed-failed.log')
    failure?.output.push('a line with ``` in it')
    const markdown = vmTestSummary(
      {
        result: 'failed',
        reason: 'The VM test failed in "the api answers": ...',
        installable: '.#checks.x86_64-linux.api',
        timedOut: false,
        durationMs: 61_000,
        failure,
        nixErrors: []
      },
      'mast'
    )
    expect(markdown).toContain('### NixOS VM test: failed')
    expect(markdown).toContain('**Failed check:** the api answers')
    expect(markdown).toContain('**Command:** `must succeed: curl --fail -sS http://127.0.0.1:4000/api/health`')
    expect(markdown).toContain('<summary>mast.service journal (VM console)</summary>')
    expect(markdown).toContain('````text\ncurl: (22)')
    expect(markdown).toContain('Test: `.#checks.x86_64-linux.api` (1 min 1 s)')
  })
})
