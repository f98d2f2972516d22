// The `outputs` and push inputs as parsed, before any Nix runs.
import { describe, expect, it } from '@jest/globals'
import { InputError, parseInputs } from '../../../src/inputs.js'
import { globRegex, parseAttrPattern, parseOutputsSelection, resolveSelection } from '../../../src/stages/build/select.js'

const from = (values: Record<string, string>) => (name: string) => values[name]
const SECRET = `ci-1:${Buffer.alloc(64, 7).toString('base64')}`

describe('outputs selection', () => {
  it('reads package, all, and attribute paths with globs and quoted names', () => {
    expect(parseOutputsSelection('')).toEqual({ kind: 'package' })
    expect(parseOutputsSelection('all')).toEqual({ kind: 'all' })
    expect(parseOutputsSelection('packages.*.default,\nchecks.x86_64-linux."a.b" packages.*.default')).toEqual({
      kind: 'list',
      patterns: ['packages.*.default', 'checks.x86_64-linux."a.b"']
    })
    expect(parseAttrPattern('checks.x86_64-linux."a.b"')).toEqual([{ name: 'checks' }, { name: 'x86_64-linux' }, { name: 'a.b' }])
    expect(parseAttrPattern('packages.*.mast-?')).toEqual([
      { name: 'packages' },
      { glob: '*', regex: '.*' },
      { glob: 'mast-?', regex: 'mast-.' }
    ])
    expect(globRegex('a+b.*')).toBe('a\\+b\\..*')
  })

  it('refuses what is not an attribute path, naming the input', () => {
    expect(() => parseInputs(from({ outputs: 'packages..default' }))).toThrow(InputError)
    expect(() => parseInputs(from({ outputs: 'packages.x86_64-linux.$(rm)' }))).toThrow(
      /Input 'outputs' has the value 'packages.x86_64-linux.\$\(rm\)'/
    )
  })

  it('resolves the system segment against the target systems, and nixosConfigurations to their toplevel', () => {
    const resolved = resolveSelection(
      parseOutputsSelection('packages.*.default checks.aarch64-darwin.x nixosConfigurations.web'),
      ['x86_64-linux', 'aarch64-linux'],
      'default'
    )
    expect(
      resolved.patterns.map(p => [p.system, p.segments.map(s => ('name' in s ? s.name : s.glob)).join('.'), p.optionalSystem])
    ).toEqual([
      ['x86_64-linux', 'packages.x86_64-linux.default', true],
      ['aarch64-linux', 'packages.aarch64-linux.default', true],
      [undefined, 'nixosConfigurations.web.config.system.build.toplevel', false]
    ])
    expect(resolved.otherSystems).toEqual([{ text: 'checks.aarch64-darwin.x', system: 'aarch64-darwin' }])
  })
})

describe('push inputs', () => {
  it('takes a store URL, a signing key that defaults to cache-signing-key, and push-required', () => {
    const inputs = parseInputs(from({ 'push-to': 'https://ci:pw@cache.example.org', 'cache-signing-key': SECRET, 'push-required': 'true' }))
    expect(inputs.pushTo).toEqual({
      url: 'https://ci:pw@cache.example.org',
      kind: 'binary-cache',
      display: 'https://ci:***@cache.example.org'
    })
    expect(inputs.pushSigningKey).toBe(SECRET)
    expect(inputs.pushRequired).toBe(true)
    expect(parseInputs(from({ 'push-to': 'ssh-ng://nix@builder' })).pushTo?.kind).toBe('ssh')
  })

  it('refuses a URL Nix cannot push to, without repeating it', () => {
    expect(() => parseInputs(from({ 'push-to': 'ftp://u:secret@host/x' }))).toThrow(/Input 'push-to' has the value '\*\*\*'.*ftp URL/)
    expect(() => parseInputs(from({ 'push-to': 'ftp://u:secret@host/x' }))).not.toThrow(/secret/)
    expect(() => parseInputs(from({ 'push-signing-key': 'nope' }))).toThrow(/Input 'push-signing-key' has the value '\*\*\*'/)
  })
})
