// nix-ci's own environment holds the action's token (INPUT_GITHUB-TOKEN), the runner's tokens and
// NIX_CONFIG's access-tokens. A fixed-output derivation can ask Nix for any variable of Nix's own
// environment (impureEnvVars), and single-user Nix (root, as here) hands it over: real builds, real git.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readTrackedTextFiles } from '../../src/hashes/repo-files.js'
import { childEnv, secretsInEnvironment, withoutAccessTokens } from '../../src/process-env.js'
import { changedLockFilesSince } from '../../src/stages/fix-hashes/recheck-policy.js'
import { useTempDirs } from '../support/cleanup.js'
import { builderPath, git, testNix } from '../support/fixtures.js'

const SECRET_VARS = [
  'INPUT_GITHUB-TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'GITHUB_TOKEN',
  'NIX_CONFIG'
]
const EMPTY_SHA256 = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='

let marker: string
let saved: NodeJS.ProcessEnv
const tempDirs = useTempDirs()
const tempDir = () => tempDirs('nix-ci-secrets-')

beforeEach(() => {
  saved = { ...process.env }
  marker = `s3cret${randomBytes(6).toString('hex')}`
  process.env['INPUT_GITHUB-TOKEN'] = `ghs_${marker}_input`
  process.env.ACTIONS_RUNTIME_TOKEN = `${marker}_runtime`
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = `${marker}_oidc`
  process.env.ACTIONS_ID_TOKEN_REQUEST_URL = `https://token.example/${marker}`
  process.env.GITHUB_TOKEN = `ghs_${marker}_default`
  process.env.NIX_CONFIG = `warn-dirty = false\naccess-tokens = github.com=ghp_${marker}_nixconfig`
})
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
  Object.assign(process.env, saved)
})

/** A flake whose FOD writes every variable holding the marker into its output; empty when nothing leaked. */
function leakyFlake(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'bb'))
  copyFileSync(builderPath('x86_64-linux'), join(dir, 'bb', 'busybox'))
  const script = `env | grep -e ${marker} > $out; true`
  writeFileSync(
    join(dir, 'flake.nix'),
    `{ outputs = { self }: { packages.x86_64-linux.default = derivation {
        name = "leak-${randomBytes(6).toString('hex')}";
        system = "x86_64-linux";
        builder = "\${./bb}/busybox";
        args = [ "sh" "-c" ${JSON.stringify(script)} ];
        impureEnvVars = ${JSON.stringify(SECRET_VARS).replace(/,/g, ' ')};
        outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "${EMPTY_SHA256}";
      }; }; }\n`
  )
  git(dir, 'init', '-q')
  git(dir, 'add', '-A')
  return dir
}

describe('secrets and the children nix-ci starts', () => {
  it('a fixed-output derivation asking for the tokens through impureEnvVars gets none of them', async () => {
    const dir = leakyFlake()
    const lines: string[] = []
    const result = await testNix().run({
      args: ['build', '--no-link', '--json', `${dir}#default`],
      cwd: dir,
      captureStdoutBytes: 1 << 16,
      onLine: l => lines.push(l.text)
    })
    // Had any token reached the builder, its output would not be empty and the hash would not match.
    expect(lines.join('\n')).not.toContain('hash mismatch')
    expect(result.exitCode).toBe(0)
    const out = (JSON.parse(result.stdout) as { outputs: { out: string } }[])[0].outputs.out
    expect(readFileSync(out, 'utf8')).toBe('')
    expect(lines.join('\n')).not.toContain(marker)
  })

  it('git runs with the allow-listed environment too (seen by a core.fsmonitor hook git starts)', async () => {
    const repo = tempDir()
    git(repo, 'init', '-q', '-b', 'main')
    writeFileSync(join(repo, 'mix.lock'), '%{}\n')
    git(repo, 'add', '-A')
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'base')
    const hook = join(tempDir(), 'hook')
    const dump = join(tempDir(), 'env.txt')
    writeFileSync(hook, `#!/bin/sh\nenv >> ${dump}\nprintf '\\0'\n`)
    chmodSync(hook, 0o755)
    git(repo, 'config', 'core.fsmonitor', hook)

    expect((await readTrackedTextFiles(repo)).files.map(f => f.path)).toEqual(['mix.lock'])
    expect(await changedLockFilesSince(repo, git(repo, 'rev-parse', 'HEAD'))).toEqual([])
    expect(existsSync(dump)).toBe(true)
    const seen = readFileSync(dump, 'utf8')
    expect(seen).toContain('PATH=')
    expect(seen).not.toContain(marker)
    // Jest's own variables are in the real environment of this process: the allow-list drops them too.
    expect(seen).not.toMatch(/^(NODE_OPTIONS|npm_lifecycle_event)=/m)
  })

  it('passes PATH, HOME, locale, proxies, certificates, NIX_* and XDG_*, and nothing token-like', () => {
    const env = childEnv({
      PATH: '/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost',
      NIX_SSL_CERT_FILE: '/etc/ssl/certs/ca.pem',
      SSL_CERT_FILE: '/etc/ssl/certs/ca.pem',
      NIX_REMOTE: 'daemon',
      NIX_PATH: 'nixpkgs=/x',
      XDG_CACHE_HOME: '/root/.cache',
      NIX_SIGNING_KEY: 'k',
      NIX_GITHUB_TOKEN: 't',
      NIX_CONFIG: 'substituters =\n  access-tokens = github.com=ghp_x gitlab.com=PAT:glpat_y\nextra-access-tokens = a=b\nsandbox = true',
      'INPUT_GITHUB-TOKEN': 'x',
      INPUT_FLAKE: '.',
      ACTIONS_RUNTIME_TOKEN: 'x',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'x',
      ACTIONS_CACHE_URL: 'x',
      GITHUB_TOKEN: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      NODE_OPTIONS: '--require /tmp/x.js'
    })
    expect(Object.keys(env).sort()).toEqual(
      [
        'HOME',
        'LANG',
        'LC_ALL',
        'NIX_CONFIG',
        'NIX_PATH',
        'NIX_REMOTE',
        'NIX_SSL_CERT_FILE',
        'NO_PROXY',
        'PATH',
        'SSL_CERT_FILE',
        'XDG_CACHE_HOME',
        'https_proxy'
      ].sort()
    )
    expect(env.NIX_CONFIG).toBe('substituters =\nsandbox = true')
  })

  it('knows every secret it holds, for masking: the tokens and each access-tokens value', () => {
    expect(withoutAccessTokens('access-tokens = github.com=ghp_a gitlab.com=PAT:glpat_b').secrets).toEqual(['ghp_a', 'PAT:glpat_b'])
    const secrets = secretsInEnvironment(process.env)
    for (const value of [`ghs_${marker}_input`, `${marker}_runtime`, `${marker}_oidc`, `ghs_${marker}_default`, `ghp_${marker}_nixconfig`])
      expect(secrets).toContain(value)
  })
})
