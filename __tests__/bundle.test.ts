// scripts/bundle.mjs, run for real into a scratch folder: the shape of dist/ (thin entries over one
// shared chunk), source maps that lead back to src/, and a licence notice for every bundled package.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { REPO_ROOT } from './support/fixtures.js'

interface LicenceNotices {
  licenceNotices(metafile: unknown): { problems: string[]; text: string }
}

let scratch: string
let dist: string

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'nix-ci-bundle-test-'))
  dist = join(scratch, 'dist')
  execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', dist], { cwd: REPO_ROOT, encoding: 'utf8' })
}, 120_000)

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('scripts/bundle.mjs', () => {
  it('writes thin entries over one shared bundle, with a source map for each bundled file', () => {
    expect(readdirSync(dist).sort()).toEqual([
      'cli.js',
      'index.js',
      'licenses.txt',
      'nix-ci-action.js',
      'nix-ci-action.js.map',
      'nix-ci-cli.js',
      'nix-ci-cli.js.map',
      'nix-ci-shared.js',
      'nix-ci-shared.js.map'
    ])
    // The code lives once, in the shared chunk; what each entry adds is its own small part.
    expect(statSync(join(dist, 'nix-ci-action.js')).size + statSync(join(dist, 'nix-ci-cli.js')).size).toBeLessThan(
      statSync(join(dist, 'nix-ci-shared.js')).size / 50
    )
    expect(readFileSync(join(dist, 'index.js'), 'utf8')).toMatch(
      /^process\.setSourceMapsEnabled\(true\)\nawait import\('\.\/nix-ci-action\.js'\)$/m
    )
    expect(readFileSync(join(dist, 'cli.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/)
    expect(statSync(join(dist, 'cli.js')).mode & 0o111).not.toBe(0)
  })

  it('maps the bundle back to src/ and node_modules/, without embedding their text', () => {
    const map = JSON.parse(readFileSync(join(dist, 'nix-ci-shared.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown }
    const sources = new Set(map.sources.map(source => resolve(dist, source)))
    expect(sources.has(join(REPO_ROOT, 'src/pipeline.ts'))).toBe(true)
    expect(sources.has(join(REPO_ROOT, 'node_modules/semver/functions/parse.js'))).toBe(true)
    expect(map.sourcesContent).toBeUndefined()
    expect(readFileSync(join(dist, 'nix-ci-shared.js'), 'utf8')).toMatch(/\n\/\/# sourceMappingURL=nix-ci-shared\.js\.map\n?$/)
  })

  it('names every bundled dependency with its version and licence text', () => {
    const notices = readFileSync(join(dist, 'licenses.txt'), 'utf8')
    for (const name of ['@actions/core', '@actions/github', 'semver', 'undici']) {
      const { version, license } = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'))
      expect(notices).toContain(`\n${name} ${version}\nLicense: ${license}\n`)
    }
    expect(notices).toContain(readFileSync(join(REPO_ROOT, 'node_modules/semver/LICENSE'), 'utf8').trim())
    // A development-only package is never in the bundle.
    expect(notices).not.toMatch(/^jest /m)
  })
})

describe('scripts/licenses.mjs', () => {
  it('stops the bundle for a package without a licence, naming it', async () => {
    const { licenceNotices } = (await import(join(REPO_ROOT, 'scripts/licenses.mjs'))) as LicenceNotices
    const nm = join(scratch, 'node_modules')
    for (const [name, manifest, licence] of [
      ['no-terms', { name: 'no-terms', version: '1.0.0' }, undefined],
      ['no-text', { name: 'no-text', version: '2.0.0', license: 'MIT' }, undefined],
      ['fine', { name: 'fine', version: '3.0.0', license: 'ISC' }, 'ISC License\n\nCopyright (c) fine'],
      ['unused', { name: 'unused', version: '4.0.0' }, undefined]
    ] as const) {
      mkdirSync(join(nm, name), { recursive: true })
      writeFileSync(join(nm, name, 'package.json'), JSON.stringify(manifest))
      writeFileSync(join(nm, name, 'index.js'), 'module.exports = 1\n')
      if (licence) writeFileSync(join(nm, name, 'LICENSE'), licence)
    }
    const input = (name: string, bytesInOutput: number) => [join(nm, name, 'index.js'), { bytesInOutput }]
    const metafile = {
      outputs: {
        'dist/x.js': {
          inputs: Object.fromEntries([
            input('no-terms', 10),
            input('no-text', 10),
            input('fine', 10),
            input('unused', 0),
            ['src/x.ts', { bytesInOutput: 10 }]
          ])
        }
      }
    }
    const { problems, text } = licenceNotices(metafile)
    // The accepted packages (buffers, chainsaw) are not in this bundle: the list must not outlive them.
    expect(problems.filter(p => !/ACCEPTED but no longer bundled/.test(p))).toEqual([
      `no-terms@1.0.0 (${join(nm, 'no-terms')}) has no licence field in package.json and no licence text (LICENSE file or README licence section)`,
      `no-text@2.0.0 (${join(nm, 'no-text')}) has no licence text (LICENSE file or README licence section)`
    ])
    expect(problems.filter(p => /ACCEPTED but no longer bundled/.test(p))).toHaveLength(2)
    expect(text).toContain('\nfine 3.0.0\nLicense: ISC\n')
    expect(text).toContain('Copyright (c) fine')
    expect(text).not.toContain('unused')
  })
})
