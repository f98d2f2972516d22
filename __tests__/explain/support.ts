// Reading the Nix log fixtures (each with a .source.txt saying how it was made) for explain's tests.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../support/fixtures.js'

export const NIX_LOGS = join(REPO_ROOT, '__tests__', 'fixtures', 'nix-logs')
export const VM_LOGS = join(REPO_ROOT, '__tests__', 'fixtures', 'vm-test-logs')

export function nixLog(name: string): string {
  return readFileSync(join(NIX_LOGS, name), 'utf8')
}

export function allNixLogs(): string[] {
  return readdirSync(NIX_LOGS).filter(f => f.endsWith('.log'))
}

/** Log text as lines, without the empty line after the final newline. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}
