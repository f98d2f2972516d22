// The report for people: each finding, then what to do about it.
import { beamCrashAdvice, execFormatAdvice, failedBuildAdvice, fodAdvice, otherHashAdvice, platformAdvice, vmTestAdvice } from './advice.js'
import { Findings } from './types.js'

type Item<K extends keyof Findings> = Findings[K] extends (infer T)[] ? T : never

export function renderForPeople(findings: Findings): string {
  const out: string[] = []
  const section = (title: string, items: string[][]): void => {
    if (items.length === 0) return
    out.push(`${title}`)
    for (const lines of items) out.push(...lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)))
    out.push('')
  }
  section('Fixed-output hash mismatches', findings.fodMismatches.map(fodLines))
  section('Other hash errors', findings.otherHashErrors.map(otherLines))
  section('Platform mismatches', findings.platformMismatches.map(platformLines))
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
  section('NixOS VM tests', findings.vmTests.map(vmTestLines))
  section(
    'Failed builds',
    findings.failedBuilds.map(b => failedBuildLines(b, findings))
  )
  if (out.length === 0) return 'No known Nix failure found in this log: nothing to explain.\n'
  if (findings.truncated) out.push('(more findings than nix-ci keeps: the list above is cut short)', '')
  return out.join('\n')
}

const fix = (advice: string | undefined): string[] => (advice === undefined ? [] : [`fix: ${advice}`])
const when = <T>(value: T | undefined, line: (v: T) => string): string[] => (value === undefined ? [] : [line(value)])

function fodLines(m: Item<'fodMismatches'>): string[] {
  return [
    `${m.derivation ?? '(derivation not in the paste)'}${m.source === 'builder-output' ? '  (printed by a builder, not by Nix)' : ''}`,
    ...when(m.remoteBuilder, v => `built on: ${v}`),
    ...when(m.likelyUrl, v => `likely URL: ${v}`),
    `specified: ${m.specified}`,
    `got:       ${m.got}`,
    ...when(m.expectedPath, v => `expected path: ${v}`),
    ...when(m.gotPath, v => `got path:      ${v}`),
    ...when(m.pasteDamage, v => `(read from a damaged paste: ${v.join(', ')})`),
    ...fix(fodAdvice(m))
  ]
}

function otherLines(e: Item<'otherHashErrors'>): string[] {
  return [
    `${e.kind}${e.path !== undefined ? ` ${e.path}` : ''}${e.url !== undefined ? ` ${e.url}` : ''}`,
    ...when(e.expected, v => `expected: ${v}`),
    ...when(e.got, v => `got:      ${v}`),
    ...fix(otherHashAdvice(e))
  ]
}

function platformLines(p: Item<'platformMismatches'>): string[] {
  const features = p.requiredFeatures.length > 0 ? ` with {${p.requiredFeatures.join(', ')}}` : ''
  const host =
    p.hostSystem !== undefined ? `, this machine is ${p.hostSystem}${p.hostFeatures ? ` with {${p.hostFeatures.join(', ')}}` : ''}` : ''
  return [
    `${p.derivation ?? '(derivation not named)'}`,
    `needs ${p.requiredSystem || 'this system'}${features}${host}`,
    ...platformAdvice(p).flatMap(fix)
  ]
}

function vmTestLines(t: Item<'vmTests'>): string[] {
  return [
    `${t.derivation ?? '(test derivation not named)'}: ${t.result}`,
    ...when(t.subtest, v => `subtest: ${v}`),
    ...when(t.failedCommand, v => `command: ${v}`),
    ...when(t.error, v => `error:   ${v}`),
    ...fix(vmTestAdvice(t))
  ]
}

/** A failed build the VM test or a BEAM crash above already explains points there. */
function failedBuildLines(b: Item<'failedBuilds'>, findings: Findings): string[] {
  const head = `${b.derivation}${b.exitCode !== undefined ? ` (exit code ${b.exitCode})` : ''}`
  if (findings.vmTests.some(t => t.derivation === b.derivation)) return [head, '(the NixOS VM test above)']
  if (findings.beamCrashes.some(c => c.derivation === b.derivation)) return [head, '(the BEAM crash above)']
  return [head, ...fix(failedBuildAdvice(b, findings.execFormatErrors.length > 0))]
}
