// A generated, nixpkgs-free flake shaped like a real one: a stdenv-like bootstrap chain, then
// layers of packages that each depend on the stdenv and a few packages of earlier layers (shared
// dependencies, as in nixpkgs), a few fixed-output "sources" at the bottom, and an evaluation cost
// that can be tuned (pure Nix work, forced once by the top package, as nixpkgs' own is).
// Calibrated here: with evalCost = 0.6 per derivation, evaluation takes about 2 s at N = 2,000.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builderPath, sha256 } from '../../__tests__/support/fixtures.js'

export interface NixpkgsLikeSpec {
  /** Derivations per system in the top package's closure (about). */
  derivations: number
  systems: string[]
  /** Fixed-output sources (some of them stale when `staleSources` says so). */
  sources: number
  /** How many of the sources carry a stale hash (the fix-hashes benchmark). */
  staleSources?: number
  /** Pure evaluation work, in units of about 1 ms on this machine. */
  evalCost: number
  /** Bytes each fixed-output source hashes (measurable work, like a fetch). */
  sourceMegabytes?: number
}

export interface NixpkgsLike {
  dir: string
  salt: string
  cleanup(): void
}

const BOOTSTRAP = 5
const WIDTH = 100

export function nixpkgsLike(spec: NixpkgsLikeSpec): NixpkgsLike {
  const dir = mkdtempSync(join(tmpdir(), 'nix-ci-nixpkgs-like-'))
  const salt = `${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`
  for (const system of spec.systems) {
    mkdirSync(join(dir, 'builders', system), { recursive: true })
    copyFileSync(builderPath(system), join(dir, 'builders', system, 'busybox'))
  }
  const mb = spec.sourceMegabytes ?? 0
  const sourceScript = (i: number) =>
    mb > 0
      ? `(printf %s "${salt}-src-${i}"; dd if=/dev/zero bs=1048576 count=${mb} 2>/dev/null) | sha256sum > $out`
      : `printf %s "${salt}-src-${i}" > $out`
  const sourceOutput = (i: number) =>
    mb > 0 ? `${sha256(Buffer.concat([Buffer.from(`${salt}-src-${i}`), Buffer.alloc(mb << 20)])).toString('hex')}  -\n` : `${salt}-src-${i}`
  // A stale hash is a real one, of other bytes (as after a lock bump), different for each source.
  const hashes = Array.from({ length: spec.sources }, (_, i) =>
    i < (spec.staleSources ?? 0)
      ? `sha256-${sha256(`${salt}-stale-${i}`).toString('base64')}`
      : `sha256-${sha256(sourceOutput(i)).toString('base64')}`
  )
  const packages = Math.max(1, spec.derivations - BOOTSTRAP - spec.sources - 1)
  const flake = `{
  outputs = { self }:
    let
      lib = rec {
        # Pure work, like evaluating nixpkgs: forced once, by the top package.
        burn = n: builtins.foldl' (acc: i: acc + builtins.stringLength (toString (i * i))) 0 (builtins.genList (i: i) n);
      };
      forSystem = system:
        let
          bb = "\${./builders + "/\${system}"}/busybox";
          mk = name: attrs: derivation ({ inherit name system; builder = bb; salt = "${salt}"; args = [ "sh" "-c" "echo $name $salt > $out" ]; } // attrs);
          sourceHashes = [ ${hashes.map(h => `"${h}"`).join(' ')} ];
          sourceScripts = [ ${Array.from({ length: spec.sources }, (_, i) => JSON.stringify(sourceScript(i)).replace(/\$\{/g, '\\${')).join(' ')} ];
          sources = builtins.genList (i: derivation {
            name = "source-\${toString i}"; inherit system; builder = bb;
            args = [ "sh" "-c" (builtins.elemAt sourceScripts i) ];
            outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = builtins.elemAt sourceHashes i;
          }) ${spec.sources};
          # stdenv's bootstrap: each stage built by the one before.
          bootstrap = builtins.genList (i: i) ${BOOTSTRAP};
          stage = builtins.foldl' (prev: i: mk "bootstrap-stage-\${toString i}" { prev = prev; }) (mk "bootstrap-tools" { }) bootstrap;
          # Layers of ${WIDTH}: package k depends on stdenv, on a source, and on three packages of
          # the layer below (shared dependencies).
          pkgs = builtins.genList (k:
            let layer = k / ${WIDTH}; below = layer - 1; pick = j: if layer == 0 then stage else builtins.elemAt pkgs (below * ${WIDTH} + (k * 7 + j * 13) - ((k * 7 + j * 13) / ${WIDTH}) * ${WIDTH});
            in mk "pkg-\${toString k}" {
              stdenv = stage;
              src = builtins.elemAt sources (k - (k / ${Math.max(1, spec.sources)}) * ${Math.max(1, spec.sources)});
              deps = if layer == 0 then [ ] else map pick [ 0 1 2 ];
            }) ${packages};
          lastLayer = builtins.genList (i: builtins.elemAt pkgs (${packages} - 1 - i)) ${Math.min(WIDTH, packages)};
          top = mk "app-0.1.0" { deps = lastLayer; evaluated = toString (lib.burn ${spec.evalCost * 2500}); };
        in { default = top; };
    in {
      packages = builtins.listToAttrs (map (system: { name = system; value = forSystem system; }) [ ${spec.systems.map(s => `"${s}"`).join(' ')} ]);
    };
}
`
  writeFileSync(join(dir, 'flake.nix'), flake)
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      stdio: 'ignore',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@example.invalid',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@example.invalid'
      }
    })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'generated')
  return { dir, salt, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
