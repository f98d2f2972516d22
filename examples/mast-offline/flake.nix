{
  # A nixpkgs-free stand-in for Mast, for nix-ci's demo and offline tests. Same shape as the real
  # app: one fixed-output derivation (`mast-mix-deps`, like mixFodDeps) whose single sha256 covers
  # the whole Hex dependency tree described by mix.lock, feeding the `mast` release package.
  # Builders are static busybox binaries put in ./builders by scripts/setup-test-world.sh
  # (never committed), so build it as a path: flake: nix build path:examples/mast-offline
  description = "Mast (offline stand-in): an Elixir fleet dashboard packaged like mixRelease + mixFodDeps";

  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forSystem = system:
        let
          builder = "${./builders + "/${system}"}/busybox";
        in
        rec {
          # Stands in for mixFodDeps: the "fetched" deps are the locked package list itself.
          mast-mix-deps = derivation {
            name = "mast-mix-deps-0.1.0";
            inherit system builder;
            lock = ./mix.lock;
            args = [ "sh" "-c" "cp $lock $out" ];
            outputHashMode = "flat";
            outputHashAlgo = "sha256";
            outputHash = "sha256-evv0b/dmSPfgCfasBRv/5RyksATcllQhbPKzxLP1s44=";
          };

          # Stands in for mixRelease: a `bin/mast` for the target system, built by its own arch.
          mast = derivation {
            name = "mast-0.1.0";
            version = "0.1.0";
            inherit system builder;
            deps = mast-mix-deps;
            args = [
              "sh"
              "-c"
              ''
                mkdir -p $out/bin $out/lib
                cp $builder $out/lib/busybox
                printf '#!%s sh\necho "mast 0.1.0 ($(uname -m))"\n' $out/lib/busybox > $out/bin/mast
                chmod +x $out/bin/mast
                cp $deps $out/lib/mix.lock
                uname -m > $out/lib/built-on
              ''
            ];
          };

          default = mast;
        };
    in
    {
      packages = builtins.listToAttrs (map (system: { name = system; value = forSystem system; }) systems);
    };
}
