// nix/package.nix (nix-ci's CLI as a Nix package) evaluated by real Nix against a stand-in of the
// few nixpkgs functions it calls: no nixpkgs offline, so the real build runs on GitHub (release.yml).
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './support/fixtures.js'
import { NixRunner } from '../src/nix/runner.js'

const STAND_IN = `{
  lib = {
    fileset = { toSource = { root, fileset }: { inherit root fileset; }; unions = list: list; };
    licenses.mit = "MIT";
  };
  stdenvNoCC.mkDerivation = attrs: attrs;
  makeWrapper = "makeWrapper";
  nodejs_24 = "/stand-in/nodejs-24";
}`

describe('nix/package.nix', () => {
  it('packages the committed bundle with a node 24 wrapper, versioned from package.json', async () => {
    const expr = `let s = ${STAND_IN}; p = import ${join(REPO_ROOT, 'nix/package.nix')} { inherit (s) lib stdenvNoCC makeWrapper nodejs_24; }; in
      { inherit (p) pname version installPhase; inherit (p.meta) mainProgram license;
        files = map toString p.src.fileset; }`
    const result = await new NixRunner({ nixConfig: 'substituters =' }).run({
      args: ['eval', '--json', '--impure', '--expr', expr],
      captureStdoutBytes: 1 << 20
    })
    expect(result.exitCode).toBe(0)
    const p = JSON.parse(result.stdout)
    expect(p.pname).toBe('nix-ci')
    expect(p.version).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version)
    expect(p.mainProgram).toBe('nix-ci')
    expect(p.installPhase).toContain('makeWrapper /stand-in/nodejs-24/bin/node $out/bin/nix-ci --add-flags $out/lib/nix-ci/dist/cli.js')
    expect(p.files.map((f: string) => f.slice(REPO_ROOT.length))).toEqual(['/dist', '/action.yml', '/flake.nix', '/nix', '/package.json'])
  })
})
