// The report for people: each finding, then what to do about it.
import { beamCrashAdvice, execFormatAdvice, failedBuildAdvice, fodAdvice, otherHashAdvice, platformAdvice, vmTestAdvice } from './advice.js'
import { Findings } from './types.js'

export function renderForPeople(findings: Findings): string {
  const out: string[] = []
  const section = (title: string, items: string[][]): void => {
    if (items.length === 0) return
    out.push(`${title}`)
    for (const lines of items) out.push(...lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)))
    out.push('')
  }
  const fix = (advice: string | undefined): string[] => (advice === undefined ? [] : [`fix: ${advice}`])

  section(
    'Fixed-output hash mismatches',
    findings.fodMismatches.map(m => [
      `${m.derivation ?? '(derivation not in the paste)'}${m.source === 'builder-output' ? '  (printed by a builder, not by Nix)' : ''}`,
      ...(m.remoteBuilder !== undefined ? [`built on: ${m.remoteBuilder}`] : []),
      ...(m.likelyUrl !== undefined ? [`likely URL: ${m.likelyUrl}`] : []),
      `specified: ${m.specified}`,
      `got:       ${m.got}`,
      ...(m.expectedPath !== undefined ? [`expected path: ${m.expectedPath}`] : []),
      ...(m.gotPath !== undefined ? [`got path:      ${m.gotPath}`] : []),
      ...(m.pasteDamage !== undefined ? [`(read from a damaged paste: ${m.pasteDamage.join(', ')})`] : []),
      ...fix(fodAdvice(m))
    ])
  )
  section(
    'Other hash errors',
    findings.otherHashErrors.map(e => [
      `${e.kind}${e.path !== undefined ? ` ${e.path}` : ''}${e.url !== undefined ? ` ${e.url}` : ''}`,
      ...(e.expected !== undefined ? [`expected: ${e.expected}`] : []),
      ...(e.got !== undefined ? [`got:      ${e.got}`] : []),
      ...fix(otherHashAdvice(e))
    ])
  )
  section(
    'Platform mismatches',
    findings.platformMismatches.map(p => [
      `${p.derivation ?? '(derivation not named)'}`,
      `needs ${p.requiredSystem || 'this system'}${p.requiredFeatures.length > 0 ? ` with {${p.requiredFeatures.join(', ')}}` : ''}${p.hostSystem !== undefined ? `, this machine is ${p.hostSystem}${p.hostFeatures ? ` with {${p.hostFeatures.join(', ')}}` : ''}` : ''}`,
      ...platformAdvice(p).flatMap(fix)
    ])
  )
  section(
    'Exec format errors',
    findings.execFormatErrors.map(e => [e.executable, ...fix(execFormatAdvice(e))])
  )
  section(
    'BEAM crashes',
    findings.beamCrashes.map(c => [
      `${c.program} killed by ${c.signal}${c.underQemu ? ' under QEMU user emulation' : ''}${c.derivation !== undefined ? ` (${c.derivation})` : ''}`,
      ...fix(beamCrashAdvice(c))
    ])
  )
  section(
    'NixOS VM tests',
    findings.vmTests.map(t => [
      `${t.derivation ?? '(test derivation not named)'}: ${t.result}`,
      ...(t.subtest !== undefined ? [`subtest: ${t.subtest}`] : []),
      ...(t.failedCommand !== undefined ? [`command: ${t.failedCommand}`] : []),
      ...(t.error !== undefined ? [`error:   ${t.error}`] : []),
      ...fix(vmTestAdvice(t))
    ])
  )
  const vmDrvs = new Set(findings.vmTests.map(t => t.derivation))
  const crashedDrvs = new Set(findings.beamCrashes.map(c => c.derivation))
  section(
    'Failed builds',
    findings.failedBuilds.map(b => [
      `${b.derivation}${b.exitCode !== undefined ? ` (exit code ${b.exitCode})` : ''}`,
      ...(vmDrvs.has(b.derivation)
        ? ['(the NixOS VM test above)']
        : crashedDrvs.has(b.derivation)
          ? ['(the BEAM crash above)']
          : fix(failedBuildAdvice(b, findings.execFormatErrors.length > 0)))
    ])
  )
  if (out.length === 0) return 'No known Nix failure found in this log: nothing to explain.\n'
  if (findings.truncated) out.push('(more findings than nix-ci keeps: the list above is cut short)', '')
  return out.join('\n')
}
