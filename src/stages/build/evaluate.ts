// Evaluates `packages.<system>.<package>` for every system in one nix call, and says which
// attributes do exist when one is missing.
import { NixRunner } from '../../nix/runner.js'
import { stripAnsi } from '../../nix/internal-json.js'
import { isDrvStorePath, notADerivation } from '../../nix/store-path.js'
import { attrPathText } from './select.js'

export class EvaluationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EvaluationError'
  }
}

export interface EvaluatedPackage {
  system: string
  attrPath: string
  drvPath: string
}

type EvalAnswer = { drvPath: unknown } | { missing: 'system' | 'package'; available: string[] }

export function packageAttrPath(system: string, pkg: string): string {
  return `packages.${system}.${pkg}`
}

export async function evaluatePackages(
  nix: NixRunner,
  flake: string,
  systems: string[],
  pkg: string,
  cwd?: string
): Promise<EvaluatedPackage[]> {
  // System and package names were validated (inputs.ts), so they are safe inside Nix string literals.
  const apply = `ps: builtins.listToAttrs (map (s: { name = s; value =
      if !(builtins.hasAttr s ps) then { missing = "system"; available = builtins.attrNames ps; }
      else if !(builtins.hasAttr ${JSON.stringify(pkg)} ps.\${s}) then { missing = "package"; available = builtins.attrNames ps.\${s}; }
      else { drvPath = ps.\${s}.${JSON.stringify(pkg)}.drvPath; }; }) ${nixList(systems)})`
  const errors: string[] = []
  const result = await nix.run({
    args: ['eval', '--json', '--apply', apply],
    positional: [`${flake}#packages`],
    cwd,
    captureStdoutBytes: 1 << 20,
    onLine: line => {
      if (line.stream === 'stderr' && errors.length < 200) errors.push(stripAnsi(line.text))
    }
  })
  if (result.exitCode !== 0) {
    const text = errors
      .filter(l => !/^warning: Git tree .* is dirty$/.test(l))
      .join('\n')
      .trim()
    if (/does not provide attribute 'packages'/.test(text)) {
      throw new EvaluationError(
        `The flake '${flake}' has no 'packages' output. nix-ci builds packages.<system>.${pkg}: add it to the flake's outputs.`
      )
    }
    throw new EvaluationError(`Evaluating ${flake}#packages failed:\n${text}`)
  }
  const answers = JSON.parse(result.stdout) as Record<string, EvalAnswer>
  return systems.map(system => {
    const answer = answers[system]
    if ('drvPath' in answer) {
      // The flake's value: only a store .drv goes on (to file reads and Nix's command line).
      const attrPath = packageAttrPath(system, pkg)
      if (!isDrvStorePath(answer.drvPath)) throw new EvaluationError(notADerivation(attrPath, answer.drvPath))
      return { system, attrPath, drvPath: answer.drvPath }
    }
    // Names the flake chose: a plain one as it is, anything else JSON-quoted (escaped).
    const available = answer.available.length > 0 ? answer.available.map(n => attrPathText([n])).join(', ') : 'none'
    if (answer.missing === 'system') {
      throw new EvaluationError(
        `The flake '${flake}' has no packages for ${system} (packages.${system} is missing; it has packages for: ${available}). ` +
          `Add ${system} to the flake's systems, or remove it from the 'systems' input.`
      )
    }
    throw new EvaluationError(
      `The flake '${flake}' has no package '${pkg}' for ${system} (packages.${system}.${pkg} is missing; packages.${system} has: ${available}). ` +
        `Set the 'package' input to one of those.`
    )
  })
}

function nixList(items: string[]): string {
  return `[ ${items.map(i => JSON.stringify(i)).join(' ')} ]`
}
