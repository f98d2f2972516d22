// extra-nix-config is passed to Nix as written (only workflow authors set it), but a line that
// weakens the sandbox or what Nix trusts is named in a warning that says what it gives away.
import { describe, expect, it } from '@jest/globals'
import { nixConfigWarnings, parseInputs } from '../../src/inputs.js'
import { runPipeline } from '../../src/pipeline.js'
import { useCleanup } from '../support/cleanup.js'
import { REPO_ROOT, createFixture, testNix } from '../support/fixtures.js'
import { recordingReporter } from '../support/reporting.js'

const track = useCleanup()

describe('extra-nix-config', () => {
  it('warns, in the run itself, about a line that turns the sandbox off or adds a post-build hook', async () => {
    const f = createFixture({ systems: ['x86_64-linux'], packages: [{ attr: 'mast' }] })
    track(f)
    const inputs = parseInputs(
      name =>
        ({
          systems: 'x86_64-linux',
          'fix-hashes': 'off',
          'vm-test': 'off',
          cache: 'false',
          'extra-nix-config':
            'sandbox = false\npost-build-hook = /etc/nix/upload.sh\nmax-jobs = 4\naccess-tokens = github.com=ghp_notprinted'
        })[name]
    )
    const reporter = recordingReporter()
    await runPipeline(inputs, { nix: testNix(), reporter, cwd: f.dir, actionDir: REPO_ROOT })
    const text = reporter.text()
    expect(text).toMatch(/warning: extra-nix-config sets `sandbox = false`: builders run outside the Nix sandbox/)
    expect(text).toMatch(/warning: extra-nix-config sets `post-build-hook = \/etc\/nix\/upload.sh`: this program runs after every build/)
    expect(text).toMatch(/warning: extra-nix-config sets `access-tokens = \*\*\*`: nix-ci never passes access tokens/)
    expect(text).not.toContain('max-jobs')
    expect(text).not.toContain('ghp_notprinted')
  })

  it('names each setting that weakens the sandbox or trust, in its extra- form too, and leaves safe ones alone', () => {
    const weakening = [
      'sandbox = false',
      'sandbox = relaxed',
      'extra-sandbox-paths = /run/secrets',
      'allowed-impure-host-deps = /usr/lib',
      'builders = ssh://builder x86_64-linux',
      'trusted-users = runner',
      'require-sigs = false',
      'extra-substituters = https://cache.example',
      'trusted-substituters = https://cache.example',
      'extra-trusted-public-keys = cache.example:AAAA',
      'accept-flake-config = true',
      'build-users-group =',
      'post-build-hook = /x',
      'impure-env = FOO=bar'
    ]
    for (const line of weakening) expect(nixConfigWarnings(line)).toHaveLength(1)
    const safe = [
      'sandbox = true',
      'substituters =',
      'builders =',
      'require-sigs = true',
      'max-jobs = 4',
      'extra-platforms = aarch64-linux',
      '# sandbox = false',
      'system-features = kvm'
    ]
    for (const line of safe) expect(nixConfigWarnings(line)).toEqual([])
  })
})
