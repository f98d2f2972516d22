// The rules of one fix-hashes round, without Nix: a real temporary git repository and the real
// locateStaleHash, so each rule's decision is checked in milliseconds.
import { describe, expect, it } from '@jest/globals'
import { locateStaleHash } from '../../../src/hashes/locate.js'
import { readTrackedTextFiles } from '../../../src/hashes/repo-files.js'
import { type EarlierFix, type Locate, planRound } from '../../../src/stages/fix-hashes/plan-round.js'
import type { StaleFod } from '../../../src/stages/fix-hashes/types.js'
import { useCleanup } from '../../support/cleanup.js'
import { createRepo, digest, drvPath, sri } from '../../support/hash-fixtures.js'

const track = useCleanup()

async function locatorFor(files: Record<string, string>): Promise<Locate> {
  const repo = track(createRepo(files))
  const tracked = await readTrackedTextFiles(repo.dir)
  return stale => locateStaleHash(tracked, stale)
}

function fod(name: string, hash: string): string {
  return `  ${name.replace(/-[0-9].*$/, '')} = derivation {\n    name = "${name}";\n    outputHash = "${hash}";\n  };\n`
}

function flake(...fods: string[]): Record<string, string> {
  return { 'flake.nix': `{\n  outputs = { self }: {\n${fods.join('')}  };\n}\n` }
}

function stale(name: string, system: string, specified: string, got: string): StaleFod {
  return { drvPath: drvPath(name), name, system, specified, got, silent: false }
}

const old = sri(digest('old'))
const right = sri(digest('right'))
const otherRight = sri(digest('other-right'))

describe('planning a fix-hashes round', () => {
  it('plans one patch at the stale hash for a hash reported the same by every system', async () => {
    const locate = await locatorFor(flake(fod('deps-0.1.0', old)))
    const reports = [stale('deps-0.1.0', 'x86_64-linux', old, right), stale('deps-0.1.0', 'aarch64-linux', old, right)]
    const plan = planRound(reports, [], new Set(), locate)
    expect(plan.problems).toEqual([])
    expect(plan.revert).toEqual([])
    expect(plan.patches).toHaveLength(1)
    expect(plan.patches[0].stale.got).toBe(right)
    expect(plan.patches[0].occurrence).toMatchObject({ file: 'flake.nix', line: 5 })
  })

  it('refuses a hash two systems answer differently: a platform conflict, nothing patched, the hash blocked', async () => {
    const locate = await locatorFor(flake(fod('nif-0.1.0', old)))
    const plan = planRound(
      [stale('nif-0.1.0', 'x86_64-linux', old, right), stale('nif-0.1.0', 'aarch64-linux', old, otherRight)],
      [],
      new Set(),
      locate
    )
    expect(plan.patches).toEqual([])
    expect(plan.block).toContain(old)
    expect(plan.problems).toHaveLength(1)
    expect(plan.problems[0]).toMatchObject({ kind: 'platform-conflict', derivation: 'nif-0.1.0' })
    expect(plan.problems[0].message).toContain(`x86_64-linux: ${right}; aarch64-linux: ${otherRight}`)
  })

  it('takes back a fix this run wrote when another system reports that very hash as wrong', async () => {
    const locate = await locatorFor(flake(fod('nif-0.1.0', right)))
    const earlier: EarlierFix = { stale: stale('nif-0.1.0', 'x86_64-linux', old, right), newSri: right }
    const plan = planRound([stale('nif-0.1.0', 'aarch64-linux', right, otherRight)], [earlier], new Set(), locate)
    expect(plan.revert).toEqual([earlier])
    expect(plan.patches).toEqual([])
    expect(plan.block).toEqual(expect.arrayContaining([old, right]))
    expect(plan.problems.map(p => p.kind)).toEqual(['platform-conflict'])
  })

  it('lists every place instead of guessing when a real stale hash stands in two places', async () => {
    const locate = await locatorFor(flake(fod('deps-0.1.0', old), fod('docs-0.1.0', old)))
    const plan = planRound([stale('deps-0.1.0', 'x86_64-linux', old, right)], [], new Set(), locate)
    expect(plan.patches).toEqual([])
    expect(plan.block).toEqual([old])
    expect(plan.problems).toHaveLength(1)
    expect(plan.problems[0].kind).toBe('ambiguous')
    expect(plan.problems[0].candidates?.map(c => c.line)).toEqual([5, 9])
  })

  it('says so when the stale hash is written nowhere, and plans nothing', async () => {
    const locate = await locatorFor(flake(fod('deps-0.1.0', right)))
    const plan = planRound([stale('deps-0.1.0', 'x86_64-linux', old, right)], [], new Set(), locate)
    expect(plan.patches).toEqual([])
    expect(plan.problems.map(p => p.kind)).toEqual(['not-found'])
  })

  it('leaves a hash refused in an earlier round alone, and still plans the others', async () => {
    const locate = await locatorFor(flake(fod('deps-0.1.0', old), fod('web-0.1.0', sri(digest('web-old')))))
    const webOld = sri(digest('web-old'))
    const plan = planRound(
      [stale('deps-0.1.0', 'x86_64-linux', old, right), stale('web-0.1.0', 'x86_64-linux', webOld, otherRight)],
      [],
      new Set([old]),
      locate
    )
    expect(plan.problems).toEqual([])
    expect(plan.patches.map(p => p.stale.name)).toEqual(['web-0.1.0'])
  })
})
