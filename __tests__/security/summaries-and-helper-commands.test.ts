// What issue 14's review left open: the cache and release summaries interpolated raw strings, and
// the set-up's helper commands (sudo, update-binfmts, apt-get, systemctl) got the whole environment.
import { afterEach, describe, expect, it } from '@jest/globals'
import { cacheSummaryMarkdown } from '../../src/cache/summary.js'
import { runCommand } from '../../src/setup/host.js'

const saved = { ...process.env }
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
})

describe('helper commands of the set-up', () => {
  it('never see the action inputs or the runner tokens', async () => {
    process.env['INPUT_GITHUB-TOKEN'] = 'ghs_inputsecret'
    process.env.ACTIONS_RUNTIME_TOKEN = 'runtime-secret'
    const result = await runCommand('env', [])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^PATH=/m)
    expect(result.stdout).not.toMatch(/ghs_inputsecret|runtime-secret|INPUT_|ACTIONS_RUNTIME_TOKEN/)
  })
})

describe('the cache summary', () => {
  it('shows a key and a reason as text, never as links, HTML or mentions', () => {
    const md = cacheSummaryMarkdown(undefined, {
      status: 'failed',
      key: 'nix-ci-store-v1-[x](https://evil.example)',
      reason: 'upload refused: <img src=x onerror=alert(1)> ask @octocat',
      savedPaths: [],
      savedBytes: 0,
      durationMs: 1
    } as never)
    // A link inside a code span is only text.
    expect(md).toContain('`nix-ci-store-v1-[x](https://evil.example)`')
    expect(md).not.toMatch(/<img/)
    expect(md).not.toMatch(/(^|[^`\u200b])@octocat/)
  })
})
