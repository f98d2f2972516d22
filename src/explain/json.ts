// The `nix-ci explain --json` document: exactly the documented fields, in the documented order.
import { explainFindings } from './advice.js'
import { ExplainJson, Findings } from './types.js'

export function toExplainJson(findings: Findings): ExplainJson {
  const opt = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>
  return {
    fodMismatches: findings.fodMismatches.map(m => ({
      derivation: m.derivation,
      specified: m.specified,
      got: m.got,
      source: m.source,
      ...opt('remoteBuilder', m.remoteBuilder),
      ...opt('likelyUrl', m.likelyUrl),
      ...opt('expectedPath', m.expectedPath),
      ...opt('gotPath', m.gotPath),
      ...opt('pasteDamage', m.pasteDamage === undefined ? undefined : [...m.pasteDamage])
    })),
    otherHashErrors: findings.otherHashErrors.map(e => ({
      kind: e.kind,
      ...opt('path', e.path),
      ...opt('url', e.url),
      ...opt('expected', e.expected),
      ...opt('got', e.got)
    })),
    platformMismatches: findings.platformMismatches.map(p => ({
      ...opt('derivation', p.derivation),
      requiredSystem: p.requiredSystem,
      requiredFeatures: [...p.requiredFeatures],
      ...opt('hostSystem', p.hostSystem)
    })),
    execFormatErrors: findings.execFormatErrors.map(e => ({ executable: e.executable })),
    vmTests: findings.vmTests.map(t => ({
      ...opt('derivation', t.derivation),
      result: t.result,
      ...opt('subtest', t.subtest),
      ...opt('failedCommand', t.failedCommand),
      ...opt('error', t.error)
    })),
    failedBuilds: findings.failedBuilds.map(b => ({ derivation: b.derivation, ...opt('exitCode', b.exitCode) })),
    advice: explainFindings(findings)
  }
}
