// /proc/<pid>/environ shows the environment a process started with, to any process of the same
// user (a builder on single-user Nix without the sandbox, an impure evaluation's builtins.exec).
// Once the action has started, its tokens must not be there. A real node process, started with the
// tokens in its environment as GitHub starts the action.
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { buildSync } from 'esbuild'
import { scrubInitialEnviron } from '../../src/initial-environ.js'
import { useTempDirs } from '../support/cleanup.js'
import { REPO_ROOT } from '../support/fixtures.js'

const tempDir = useTempDirs()

describe("the action's initial environment", () => {
  it('holds no token once the action has started, while the libraries that need ACTIONS_RUNTIME_TOKEN still find it', () => {
    const marker = `s3cret${randomBytes(6).toString('hex')}`
    const env = {
      // No nix on PATH: the action stops at its first Nix call, after reading its inputs.
      PATH: '/nonexistent',
      HOME: '/nonexistent',
      'INPUT_GITHUB-TOKEN': `ghs_${marker}_input`,
      'INPUT_CACHE-SIGNING-KEY': `${marker}:${randomBytes(64).toString('base64')}`,
      INPUT_CACHE: 'false',
      ACTIONS_RUNTIME_TOKEN: `${marker}_runtime`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: `${marker}_oidc`,
      GITHUB_TOKEN: `ghs_${marker}_default`,
      NIX_CONFIG: `access-tokens = github.com=ghp_${marker}_nixconfig`,
      AWS_SECRET_ACCESS_KEY: `${marker}_aws`
    }
    // Bundled whole into a temporary folder (npm packages too), so the probe runs as the action does.
    const dir = tempDir('nix-ci-probe-')
    buildSync({
      entryPoints: [join(REPO_ROOT, '__tests__/support/proc-environ-probe.ts')],
      outfile: join(dir, 'probe.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __probeCreateRequire } from 'node:module';\nconst require = __probeCreateRequire(import.meta.url);"
      }
    })
    const probe = spawnSync(process.execPath, [join(dir, 'probe.mjs')], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 })
    const line = /^PROBE (.*)$/m.exec(probe.stdout)
    expect([probe.stderr, line !== null]).toEqual([probe.stderr, true])
    const { seen, kept } = JSON.parse((line as RegExpExecArray)[1]) as { seen: string; kept: Record<string, string | undefined> }
    expect(seen).toMatch(/(^|\0)PATH=\/nonexistent\0/)
    expect(seen).not.toContain(marker)
    expect(kept).toEqual({ ACTIONS_RUNTIME_TOKEN: `${marker}_runtime`, 'INPUT_GITHUB-TOKEN': undefined })
    // The action did run to its first Nix call, and said why it stopped.
    expect(probe.stdout).toMatch(/::error::.*Nix is not installed/)
  })

  it('a process with no secrets in its environment has nothing to overwrite', () => {
    expect(scrubInitialEnviron(() => false)).toEqual({ scrubbed: [] })
  })
})
