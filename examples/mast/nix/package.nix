# Mast, built the way the real app is: a Mix release (beamPackages.mixRelease) whose Hex
# dependencies are fetched by ONE fixed-output derivation (mixFodDeps = beamPackages.fetchMixDeps).
# That derivation's single sha256 covers the whole dependency tree locked in ../mix.lock.
{ lib, beamPackages }:

let
  pname = "mast";

  # One version, read from mix.exs (`@version "x.y.z"`), so Nix and Mix never disagree.
  version =
    let
      versionOf = line: builtins.match ''[[:space:]]*@version "([^"]+)".*'' line;
      found = lib.findFirst (line: versionOf line != null) null (lib.splitString "\n" (builtins.readFile ../mix.exs));
    in
    if found == null then throw "nix/package.nix: mix.exs has no `@version \"x.y.z\"` line" else builtins.head (versionOf found);

  # Only what each derivation reads, so editing docs or Nix files rebuilds nothing.
  sourceOf = files: lib.fileset.toSource { root = ../.; fileset = lib.fileset.unions files; };
in
beamPackages.mixRelease {
  inherit pname version;
  src = sourceOf [ ../mix.exs ../mix.lock ../lib ../rel ];

  mixFodDeps = beamPackages.fetchMixDeps {
    pname = "${pname}-mix-deps";
    inherit version;
    src = sourceOf [ ../mix.exs ../mix.lock ];
    # The hash of every Hex package locked in mix.lock, fetched by `mix deps.get`. It changes
    # whenever mix.lock does (a dependency bump), and then the build fails with
    # `hash mismatch in fixed-output derivation ... got: sha256-...`.
    #
    # This is lib.fakeHash written out: this example was written without network access to Hex,
    # so the real value has never been computed. The first CI run reports it: nix-ci's
    # fix-hashes stage finds this line, writes the `got:` hash here and proposes the change as a
    # pull request (see docs/install/nix.md). By hand: build, copy the `got:` value here.
    # Keep it a literal string (not `lib.fakeHash`) so that tools can find and replace it.
    sha256 = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };

  meta = {
    description = "Mast (example): an Elixir release whose health endpoint reads PostgreSQL";
    license = lib.licenses.mit;
    platforms = [ "x86_64-linux" "aarch64-linux" ];
    mainProgram = "mast";
  };
}
