// The layers the README's architecture section draws: the lower layers never import from a stage,
// and a stage never imports from the pipeline or the entry points above it.
import { describe, expect, it } from '@jest/globals'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { REPO_ROOT } from './support/fixtures.js'

const SRC = join(REPO_ROOT, 'src')
const LOWER = ['nix', 'git', 'github', 'hashes', 'report', 'setup', 'cache', 'explain', 'push', 'artifact']
const TOP = ['pipeline.ts', 'main.ts', 'cli.ts', 'index.ts'].map(name => join(SRC, name))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  )
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map(m => m[1])
}

describe('layering', () => {
  it('lower layers import nothing from src/stages', () => {
    const offending = LOWER.flatMap(layer => sourceFiles(join(SRC, layer))).flatMap(file =>
      importsOf(file)
        .filter(path => /(^|\/)stages\//.test(path))
        .map(path => `${relative(SRC, file)} imports ${path}`)
    )
    expect(offending).toEqual([])
  })

  it('stages import nothing from the pipeline or the entry points', () => {
    const offending = sourceFiles(join(SRC, 'stages')).flatMap(file =>
      importsOf(file)
        .filter(path => path.startsWith('.') && TOP.includes(resolve(dirname(file), path).replace(/\.js$/, '.ts')))
        .map(path => `${relative(SRC, file)} imports ${path}`)
    )
    expect(offending).toEqual([])
  })

  it('finds the imports it checks (the reader is not blind)', () => {
    expect(importsOf(join(SRC, 'pipeline.ts'))).toContain('./stages/build/build-stage.js')
    expect(sourceFiles(join(SRC, 'nix')).length).toBeGreaterThan(5)
  })
})
