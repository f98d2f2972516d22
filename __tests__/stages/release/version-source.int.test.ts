// Every version source, read from real files in temporary directories; the flake source through a
// real `nix eval` of a tiny nixpkgs-free flake in a git repository.
import { describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { VersionFrom } from '../../../src/inputs.js'
import { NixRunner } from '../../../src/nix/runner.js'
import { readVersion, VersionSourceError, type VersionReading } from '../../../src/stages/release/version-source.js'
import { useTempDirs } from '../../support/cleanup.js'
import { commitFolder } from '../../support/fixtures.js'

const nix = new NixRunner({ nixConfig: 'substituters =' })
const tempDir = useTempDirs()

function project(files: Record<string, string>, options: { gitRepo?: boolean } = {}): string {
  const dir = tempDir('nix-ci-version-')
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  if (options.gitRepo) commitFolder(dir)
  return dir
}

function read(cwd: string, versionFrom: VersionFrom = { source: 'auto' }): Promise<VersionReading> {
  return readVersion({ versionFrom, cwd, flake: '.', package: 'default', system: 'x86_64-linux', nix })
}

async function failure(promise: Promise<unknown>): Promise<VersionSourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(VersionSourceError)
  return error as VersionSourceError
}

const MIX_LITERAL = `defmodule Mast.MixProject do
  use Mix.Project

  def project do
    [
      app: :mast,
      # version: "0.0.1" was the first one
      version: "1.4.2",
      elixir: "~> 1.15",
      deps: deps()
    ]
  end
end
`

const MIX_ATTRIBUTE = `defmodule Mast.MixProject do
  use Mix.Project

  @version "2.0.0-rc.1"
  @source_url "https://example.invalid/mast"

  def project do
    [app: :mast, version: @version, source_url: @source_url]
  end
end
`

function flake(packages: string): string {
  return `{
  outputs = { self }: {
    packages.x86_64-linux = ${packages};
  };
}
`
}

describe('mix.exs', () => {
  it('reads a literal version and where it is, skipping comments', async () => {
    expect(await read(project({ 'mix.exs': MIX_LITERAL }))).toEqual({ version: '1.4.2', source: 'mix.exs', file: 'mix.exs', line: 8 })
  })

  it('reads the @version module attribute form', async () => {
    expect(await read(project({ 'mix.exs': MIX_ATTRIBUTE }), { source: 'mix.exs' })).toEqual({
      version: '2.0.0-rc.1',
      source: 'mix.exs',
      file: 'mix.exs',
      line: 4
    })
  })

  it('wins over package.json and the flake in auto mode', async () => {
    const dir = project(
      { 'mix.exs': MIX_LITERAL, 'package.json': '{"version": "9.9.9"}', 'flake.nix': flake('{ default = { version = "8.8.8"; }; }') },
      { gitRepo: true }
    )
    expect((await read(dir)).version).toBe('1.4.2')
  })

  it('fails on an invalid version with the value, file and line', async () => {
    const error = await failure(read(project({ 'mix.exs': MIX_LITERAL.replace('1.4.2', '1.4') })))
    expect(error.message).toMatch(/The version '1\.4' read from mix\.exs:8 is not a semantic version/)
    expect([error.file, error.line]).toEqual(['mix.exs', 8])
  })

  it('explains a version it cannot read, a missing @attribute and a missing version', async () => {
    const computed = await failure(read(project({ 'mix.exs': MIX_LITERAL.replace('"1.4.2"', 'version()') })))
    expect(computed.message).toMatch(/mix\.exs:8 sets the version with an expression nix-ci cannot read \(`version: version\(\)`\)/)
    const unset = await failure(read(project({ 'mix.exs': MIX_ATTRIBUTE.replace('@version "2.0.0-rc.1"', '') })))
    expect(unset.message).toMatch(/mix\.exs:8 uses `version: @version` but mix\.exs never sets `@version "\.\.\."`/)
    const none = await failure(read(project({ 'mix.exs': MIX_LITERAL.replace('      version: "1.4.2",\n', '') })))
    expect(none.message).toMatch(/mix\.exs has no `version:`/)
  })

  it('fails when mix.exs is named but missing', async () => {
    expect((await failure(read(project({ 'package.json': '{"version":"1.0.0"}' }), { source: 'mix.exs' }))).message).toMatch(/no mix\.exs/)
  })
})

describe('package.json', () => {
  it('reads the version and its line', async () => {
    const dir = project({ 'package.json': '{\n  "name": "x",\n  "version": "3.1.4-beta.2+sha.abc"\n}\n' })
    expect(await read(dir)).toEqual({ version: '3.1.4-beta.2+sha.abc', source: 'package.json', file: 'package.json', line: 3 })
  })

  it('explains malformed JSON, a missing version, and a version that is not a string or not semver', async () => {
    expect((await failure(read(project({ 'package.json': '{ "version": "1.0.0", }' }), { source: 'package.json' }))).message).toMatch(
      /package\.json is not valid JSON/
    )
    expect((await failure(read(project({ 'package.json': '{ "name": "x" }' })))).message).toMatch(/package\.json has no "version" field/)
    const notString = await failure(read(project({ 'package.json': '{\n"version": 1\n}' })))
    expect([notString.message, notString.line]).toEqual([expect.stringMatching(/"version" is 1, not a string/), 2])
    expect((await failure(read(project({ 'package.json': '{"version": "v1.0.0"}' })))).message).toMatch(
      /'v1\.0\.0' read from package\.json:1 is not a semantic version/
    )
  })
})

describe('flake attribute', () => {
  it('reads packages.<system>.<package>.version with nix eval', async () => {
    const dir = project(
      { 'flake.nix': flake('{ default = { version = "1.2.3"; }; }'), 'package.json': '{"version":"0.0.1"}' },
      { gitRepo: true }
    )
    expect(await read(dir)).toEqual({
      version: '1.2.3',
      source: 'the flake attribute .#packages.x86_64-linux.default.version',
      file: 'flake.nix'
    })
  })

  it('falls back to package.json in auto mode when the package has no version', async () => {
    const dir = project(
      { 'flake.nix': flake('{ default = { name = "no-version"; }; }'), 'package.json': '{"version":"0.0.1"}' },
      { gitRepo: true }
    )
    expect(await read(dir)).toMatchObject({ version: '0.0.1', source: 'package.json' })
  })

  it("fails with Nix's error when the flake is named and has no version, or does not evaluate", async () => {
    const noVersion = project({ 'flake.nix': flake('{ default = { name = "no-version"; }; }') }, { gitRepo: true })
    expect((await failure(read(noVersion, { source: 'flake' }))).message).toMatch(
      /Could not read the version from \.#packages\.x86_64-linux\.default\.version[\s\S]*does not provide attribute/
    )
    const broken = project({ 'flake.nix': flake('{ default = { version = "1.0.0" }; }') }, { gitRepo: true })
    expect((await failure(read(broken))).message).toMatch(/Could not read the version[\s\S]*syntax error/)
  })

  it('fails on a version that is not semver, naming the flake', async () => {
    const dir = project({ 'flake.nix': flake('{ default = { version = "unstable-2024-01-01"; }; }') }, { gitRepo: true })
    expect((await failure(read(dir))).message).toMatch(/'unstable-2024-01-01' read from flake\.nix is not a semantic version/)
  })
})

describe('literal and auto with nothing', () => {
  it('uses a literal from version-from', async () => {
    expect(await read(project({}), { source: 'literal', version: '0.3.0' })).toEqual({ version: '0.3.0', source: 'the version-from input' })
  })

  it('says what it tried when auto finds nothing', async () => {
    expect((await failure(read(project({})))).message).toMatch(/No version found: there is no mix\.exs or package\.json/)
  })
})
