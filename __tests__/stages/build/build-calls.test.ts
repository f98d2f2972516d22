import { describe, expect, it } from '@jest/globals'
import { describeBuildCalls, planBuildCalls } from '../../../src/stages/build/build-calls.js'
import type { BuildTarget } from '../../../src/stages/build/attributes.js'

const target = (system: string, attrPath: string): BuildTarget => ({ system, attrPath, drvPath: `/nix/store/${attrPath}.drv` })
const modes: Record<string, 'native' | 'emulated' | 'remote'> = {
  'x86_64-linux': 'native',
  'i686-linux': 'native',
  'aarch64-linux': 'emulated',
  'riscv64-linux': 'emulated',
  'aarch64-darwin': 'remote',
  'x86_64-darwin': 'remote'
}
const modeOf = (system: string) => modes[system]

describe('planBuildCalls', () => {
  it('builds each local system in a call of its own, native systems first, each mode in the order asked', () => {
    const targets = [
      target('aarch64-linux', 'a1'),
      target('x86_64-linux', 'x1'),
      target('riscv64-linux', 'r1'),
      target('aarch64-linux', 'a2'),
      target('i686-linux', 'i1'),
      target('x86_64-linux', 'x2')
    ]
    const calls = planBuildCalls(targets, modeOf)
    expect(calls.local.map(group => group.map(t => t.attrPath))).toEqual([['x1', 'x2'], ['i1'], ['a1', 'a2'], ['r1']])
    expect(calls.remote).toEqual([])
    expect(describeBuildCalls(calls)).toBe('4 nix builds, one per system, native first')
  })

  it('puts every remote system in one call, which runs beside the local ones', () => {
    const calls = planBuildCalls([target('aarch64-darwin', 'd1'), target('x86_64-linux', 'x1'), target('x86_64-darwin', 'd2')], modeOf)
    expect(calls.local.map(group => group.map(t => t.attrPath))).toEqual([['x1']])
    expect(calls.remote.map(t => t.attrPath)).toEqual(['d1', 'd2'])
    expect(describeBuildCalls(calls)).toBe('one nix build; the remote systems in one more beside them')
    expect(describeBuildCalls(planBuildCalls([target('aarch64-darwin', 'd1')], modeOf))).toBe('one nix build on the remote builders')
  })
})
