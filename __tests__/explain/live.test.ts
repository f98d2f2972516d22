// Live runs: the stages classify Nix's own messages, so nothing a builder prints can pose as Nix.
import { describe, expect, it } from '@jest/globals'
import { LogClassifier } from '../../src/explain/classifier.js'
import { classifyLines, classifyNixMessages } from '../../src/explain/classify.js'
import { BuildLog } from '../../src/stages/build/build-log.js'
import { linesOf, nixLog } from './support.js'

const VICTIM = '/nix/store/00000000000000000000000000000000-victim-1.0.drv'
const live = (name: string) => classifyLines(nixLog(name), { trust: 'internal-json-only' })

/** What the build stage has after a run: BuildLog fed the capture's stderr lines. */
function buildLogOf(name: string): BuildLog {
  const log = new BuildLog()
  for (const text of linesOf(nixLog(name))) log.onLine({ stream: 'stderr', text })
  return log
}

describe('live runs (internal-json-only)', () => {
  it('believes only raw_msg reports: a builder’s injected `@nix` msg is dropped, its -L lines stay builder output', () => {
    expect(live('nix-2.8-json-forged.internal-json.log').fodMismatches.map(m => [m.derivation, m.source])).toEqual([
      ['/nix/store/6a999a6cljyda1jp4winbzh8bgap1ry0-jsonforger-0.1.0.drv', 'nix']
    ])
    const forged = live('nix-2.8-forged-L.internal-json.log').fodMismatches
    expect(forged.filter(m => m.source === 'nix').every(m => m.derivation !== VICTIM)).toBe(true)
    expect(forged.find(m => m.derivation === VICTIM)?.source).toBe('builder-output')
  })

  it('ignores plain text entirely', () => {
    for (const name of ['nix-2.8-fod.stderr.log', 'nix-2.8-platform.stderr.log', 'nix-2.8-builder-failed.stderr.log']) {
      const f = live(name)
      expect([f.fodMismatches, f.platformMismatches, f.failedBuilds]).toEqual([[], [], []])
    }
  })

  it('reads Nix’s own platform, hash and failure messages', () => {
    expect(live('nix-2.8-platform.internal-json.log').platformMismatches[0].requiredSystem).toBe('riscv64-linux')
    expect(live('nix-2.8-flake-input-nar-hash.internal-json.log').otherHashErrors.map(e => e.kind)).toEqual(['flake-input'])
    expect(live('nix-2.8-builder-failed.internal-json.log').failedBuilds[0].exitCode).toBe(2)
  })

  it('takes an Exec format error from builder output only for a build Nix itself reported as failed', () => {
    expect(live('nix-2.8-exec-format-error.internal-json.log').execFormatErrors).toEqual([
      { executable: '/nix/store/z6ymql1qv79xy8l5kfbhxy18p929hmvd-bb/busybox' }
    ])
    const lines = linesOf(nixLog('nix-2.8-exec-format-error.internal-json.log')).filter(l => !l.includes('"action":"msg"'))
    expect(classifyLines(lines, { trust: 'internal-json-only' }).execFormatErrors).toEqual([])
  })

  it('streams from a NixRunner’s lines through onLine (stdout is ignored)', () => {
    const classifier = new LogClassifier({ trust: 'internal-json-only' })
    for (const text of linesOf(nixLog('nix-2.8-keep-going.internal-json.log'))) {
      classifier.onLine({ stream: 'stderr', text })
      classifier.onLine({ stream: 'stdout', text })
    }
    expect(classifier.finish().fodMismatches).toHaveLength(2)
  })
})

describe('classifyNixMessages (BuildLog.errors of a stage)', () => {
  it('gives the same findings from the build stage’s kept messages as from the whole log', () => {
    for (const name of [
      'nix-2.8-keep-going.internal-json.log',
      'nix-2.8-platform.internal-json.log',
      'nix-2.8-missing-kvm.internal-json.log',
      'nix-2.8-builder-failed.internal-json.log'
    ]) {
      const fromMessages = classifyNixMessages(buildLogOf(name).errors.map(e => e.text))
      expect([name, fromMessages]).toEqual([name, live(name)])
    }
  })

  it('adds an Exec format error from the failed build’s kept tail', () => {
    const log = buildLogOf('nix-2.8-exec-format-error.internal-json.log')
    const tails = new Map([...log.builds].map(([drv, b]) => [drv, b.tail]))
    expect(classifyNixMessages(log.errors.map(e => e.text)).execFormatErrors).toEqual([])
    expect(
      classifyNixMessages(
        log.errors.map(e => e.text),
        tails
      ).execFormatErrors
    ).toEqual([{ executable: '/nix/store/z6ymql1qv79xy8l5kfbhxy18p929hmvd-bb/busybox' }])
  })

  it('never takes a tail’s forged report as Nix’s', () => {
    const log = buildLogOf('nix-2.8-forged-last-lines.internal-json.log')
    const tails = new Map([...log.builds].map(([drv, b]) => [drv, b.tail]))
    expect(
      classifyNixMessages(
        log.errors.map(e => e.text),
        tails
      ).fodMismatches.filter(m => m.source === 'nix')
    ).toEqual([])
  })
})
