# nix-ci's CLI as a Nix package (`nix run .# -- build` from a checkout), and what this repository's
# own release workflow builds. dist/ is the committed bundle, so nothing is fetched: no npm, no FOD.
{ lib, stdenvNoCC, makeWrapper, nodejs_24 }:
let
  packageJson = builtins.fromJSON (builtins.readFile ../package.json);
in
stdenvNoCC.mkDerivation {
  pname = "nix-ci";
  inherit (packageJson) version;
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [ ../dist ../action.yml ../flake.nix ../nix ../package.json ];
  };
  nativeBuildInputs = [ makeWrapper ];
  installPhase = ''
    runHook preInstall
    mkdir -p $out/lib/nix-ci $out/bin
    cp -r dist action.yml flake.nix nix package.json $out/lib/nix-ci/
    makeWrapper ${nodejs_24}/bin/node $out/bin/nix-ci --add-flags $out/lib/nix-ci/dist/cli.js
    runHook postInstall
  '';
  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    mainProgram = "nix-ci";
    platforms = [ "x86_64-linux" "aarch64-linux" ];
  };
}
