// A nixpkgs-free flake with every kind of output `outputs: all` builds (packages, checks, dev
// shells, formatter, a NixOS-configuration look-alike), on the static busybox builders of the
// test world. Each test writes the outputs it needs as Nix text; `mk` makes a derivation.
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builderPath, commitFolder } from './fixtures.js'

export interface OutputsFixture {
  dir: string
  salt: string
  cleanup(): void
}

/**
 * `outputs` is the body of the flake's output set; in scope: `salt`, `builderFor system` and
 * `mk system name script` (a derivation whose busybox script writes $out).
 */
export function createOutputsFlake(systems: string[], outputs: string): OutputsFixture {
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-outputs-'))
  const salt = randomBytes(8).toString('hex')
  for (const system of systems) {
    mkdirSync(join(dir, 'builders', system), { recursive: true })
    copyFileSync(builderPath(system), join(dir, 'builders', system, 'busybox'))
  }
  const builders = systems.map(s => `      ${JSON.stringify(s)} = "\${./builders/${s}}/busybox";`).join('\n')
  writeFileSync(
    join(dir, 'flake.nix'),
    `{
  description = "nix-ci outputs fixture";
  outputs = { self }:
    let
      salt = ${JSON.stringify(salt)};
      builderFor = system: {
${builders}
      }.\${system};
      mk = system: name: script: derivation {
        inherit system name salt;
        builder = builderFor system;
        args = [ "sh" "-c" script ];
      };
    in {
${outputs}
    };
}
`
  )
  commitFolder(dir)
  return { dir, salt, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
