// Bundled and run by __tests__/security/secrets-leave-proc-environ.test.ts, with the
// tokens in this process's environment from its start, as GitHub starts the action. It runs the
// action (without nix on PATH it stops at its first Nix call), then does what flake code running as
// the same user can do: read the action's /proc/<pid>/environ from a child process.
import { execFileSync } from 'node:child_process'
import { run } from '../../src/main.js'

await run()
const seen = execFileSync('/bin/sh', ['-c', 'cat /proc/$PPID/environ'], { env: {} }).toString('utf8')
const kept = { ACTIONS_RUNTIME_TOKEN: process.env.ACTIONS_RUNTIME_TOKEN, 'INPUT_GITHUB-TOKEN': process.env['INPUT_GITHUB-TOKEN'] }
process.stdout.write(`\nPROBE ${JSON.stringify({ seen, kept })}\n`)
