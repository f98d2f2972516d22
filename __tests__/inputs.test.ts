import { describe, expect, it } from '@jest/globals'
import { InputError, parseInputs } from '../src/inputs.js'

const from = (values: Record<string, string>) => (name: string) => values[name]

describe('parseInputs', () => {
  it('gives the documented defaults when nothing is set', () => {
    const inputs = parseInputs(from({}))
    expect(inputs).toEqual({
      flake: '.',
      package: 'default',
      systems: ['x86_64-linux', 'aarch64-linux'],
      fixHashes: 'pull-request',
      pullRequestLabels: ['dependencies', 'nix'],
      checkFods: 'auto',
      vmTest: { mode: 'auto' },
      vmTestTimeout: 30,
      service: 'mast',
      servicePort: 4000,
      healthPath: '/',
      release: 'off',
      releaseBranches: [],
      versionFrom: { source: 'auto' },
      tagPrefix: 'v',
      majorTag: false,
      cache: true,
      cacheMaxSize: 2 * 1024 ** 3,
      cacheSigningKey: '',
      outputs: { kind: 'package' },
      pushSigningKey: '',
      pushRequired: false,
      extraNixConfig: '',
      githubToken: '',
      builders: '',
      buildersSshKey: '',
      remoteFallback: 'emulate',
      matrix: 'off'
    })
  })

  it("reads builders in Nix's syntax and refuses a machine line Nix would misread", () => {
    const inputs = parseInputs(
      from({
        builders: 'ssh-ng://nix@arm.example.org aarch64-linux - 4 1 big-parallel\nssh-ng://b x86_64-linux',
        'remote-fallback': 'fail',
        matrix: 'aggregate'
      })
    )
    expect([inputs.remoteFallback, inputs.matrix]).toEqual(['fail', 'aggregate'])
    expect(inputs.builders).toContain('ssh-ng://b x86_64-linux')
    expect(() => parseInputs(from({ builders: 'ssh-ng://a aarch64-linux - four' }))).toThrow(
      /Input 'builders' has the value 'ssh-ng:\/\/a aarch64-linux - four'.*max-jobs 'four'/
    )
    expect(() => parseInputs(from({ 'remote-fallback': 'local' }))).toThrow(/'emulate', 'fail'/)
    expect(() => parseInputs(from({ matrix: 'yes' }))).toThrow(/'off', 'build', 'aggregate'/)
  })

  it('splits systems on spaces, commas and newlines and drops duplicates', () => {
    expect(parseInputs(from({ systems: 'x86_64-linux,\naarch64-linux  x86_64-linux' })).systems).toEqual(['x86_64-linux', 'aarch64-linux'])
  })

  it('reads a flake attribute path for vm-test and a literal version for version-from', () => {
    const inputs = parseInputs(from({ 'vm-test': 'checks.x86_64-linux.vm', 'version-from': '1.2.3-rc.1' }))
    expect(inputs.vmTest).toEqual({ mode: 'attribute', attribute: 'checks.x86_64-linux.vm' })
    expect(inputs.versionFrom).toEqual({ source: 'literal', version: '1.2.3-rc.1' })
  })

  it('splits pull request labels on commas and newlines only, and an empty value means none', () => {
    expect(parseInputs(from({ 'pull-request-labels': 'dependencies, nix flake\nbot' })).pullRequestLabels).toEqual([
      'dependencies',
      'nix flake',
      'bot'
    ])
    expect(parseInputs(from({ 'pull-request-labels': '' })).pullRequestLabels).toEqual([])
  })

  it('takes a Nix secret key for cache-signing-key, and refuses anything else without repeating it', () => {
    // A throwaway key from `nix key generate-secret --key-name nix-ci-test`.
    const secret = 'nix-ci-test:Gyetsb5EwEf/Dn9sY0Kbsw+8guJkIChxpv/T5y9GBnO5baMcM1m1u71sJBxiWwEQ7aOwPKa3qKVt7HKhhTkQeQ=='
    expect(parseInputs(from({ 'cache-signing-key': `${secret}\n` })).cacheSigningKey).toBe(secret)
    const publicKey = 'nix-ci-test:uW2jHDNZtbu9bCQcYlsBEO2jsDymt6ilbexyoYU5EHk='
    expect(() => parseInputs(from({ 'cache-signing-key': publicKey }))).toThrow(
      /Input 'cache-signing-key' has the value '\*\*\*'.*not a Nix secret signing key: make one with `nix key generate-secret/
    )
    expect(() => parseInputs(from({ 'cache-signing-key': publicKey }))).not.toThrow(new RegExp(publicKey.split(':')[1].slice(0, 10)))
  })

  it('reads release-branches as whole branch names, separated by spaces, commas or newlines', () => {
    expect(parseInputs(from({ 'release-branches': 'release/1.x, maint\nv2' })).releaseBranches).toEqual(['release/1.x', 'maint', 'v2'])
  })

  it('keeps an explicitly empty tag prefix', () => {
    expect(parseInputs(from({ 'tag-prefix': '' })).tagPrefix).toBe('')
  })

  it.each([
    ['systems', 'x86_64-linx', /Input 'systems' has the value 'x86_64-linx'.*known systems are x86_64-linux, aarch64-linux/],
    ['systems', ' , ', /Input 'systems'.*name at least one system/],
    ['fix-hashes', 'yes', /Input 'fix-hashes' has the value 'yes'.*'pull-request', 'commit', 'write', 'report', 'off'/],
    ['check-fods', 'sometimes', /Input 'check-fods' has the value 'sometimes'.*'auto', 'always', 'never'/],
    ['vm-test', 'maybe', /Input 'vm-test' has the value 'maybe'.*'auto', 'builtin', 'off'/],
    ['vm-test-timeout', '0', /Input 'vm-test-timeout' has the value '0'.*1 to 1440/],
    ['service-port', '70000', /Input 'service-port' has the value '70000'.*1 to 65535/],
    ['service-port', '80a', /Input 'service-port'/],
    ['health-path', 'health', /Input 'health-path'.*starting with `\/`/],
    ['release', 'publish', /Input 'release'.*'off', 'tag'/],
    ['version-from', 'Cargo.toml', /Input 'version-from'.*literal semver/],
    ['tag-prefix', 'v..', /Input 'tag-prefix'/],
    ['release-branches', 'release/*', /Input 'release-branches' has the value 'release\/\*'.*without patterns/],
    ['release-branches', 'refs/heads/main', /Input 'release-branches'.*without refs\/heads\//],
    ['major-tag', 'sure', /Input 'major-tag'.*'true' or 'false'/],
    ['cache', 'enabled', /Input 'cache'/],
    ['cache-max-size', 'lots', /Input 'cache-max-size' has the value 'lots'.*2GiB/],
    ['package', 'my pkg', /Input 'package'.*attribute name/],
    ['service', 'a.b', /Input 'service'/],
    ['extra-nix-config', 'sandbox true', /Input 'extra-nix-config'.*key = value/],
    ['flake', '.\nrm -rf /', /Input 'flake'/]
  ])('rejects %s = %j with a message naming the input, the value and what is allowed', (name, value, message) => {
    expect(() => parseInputs(from({ [name]: value }))).toThrow(InputError)
    expect(() => parseInputs(from({ [name]: value }))).toThrow(message)
  })

  it('accepts nix.conf lines with comments for extra-nix-config', () => {
    expect(parseInputs(from({ 'extra-nix-config': '# offline\nsandbox = true\nsubstituters =\n' })).extraNixConfig).toBe(
      '# offline\nsandbox = true\nsubstituters ='
    )
  })
})
