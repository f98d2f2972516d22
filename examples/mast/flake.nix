{
  # A small, real stand-in for Mast, packaged exactly as Mast is: mixRelease + mixFodDeps (one
  # sha256), for x86_64-linux and aarch64-linux. nix-ci builds both systems (aarch64 under QEMU),
  # fixes the mixFodDeps hash when mix.lock changes, and runs the NixOS module in a VM test.
  description = "Mast (example): an Elixir/Phoenix-style release packaged with mixRelease + mixFodDeps";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachSystem [ "x86_64-linux" "aarch64-linux" ]
      (system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
          mast = pkgs.callPackage ./nix/package.nix { };
        in
        {
          packages = {
            inherit mast;
            default = mast;
          };

          # For one-off commands against a release: `nix run . -- eval 'Mast.Release.migrate()'`,
          # `nix run . -- remote`. The long-running service is the NixOS module, not `nix run`.
          apps.default = {
            type = "app";
            program = "${mast}/bin/mast";
            meta.description = "bin/mast of the Mast release (eval, remote, version)";
          };

          devShells.default = pkgs.mkShell {
            packages = [
              pkgs.beamPackages.elixir # includes mix
              pkgs.beamPackages.erlang
              pkgs.postgresql
            ];
            shellHook = ''
              # Keep Mix and Hex state in the project, not in $HOME.
              export MIX_HOME="$PWD/.nix-mix" HEX_HOME="$PWD/.nix-hex"
              export PATH="$MIX_HOME/bin:$MIX_HOME/escripts:$HEX_HOME/bin:$PATH"
            '';
          };
        })
    // {
      # The service: `services.mast.*`, with the package of the host's system by default.
      nixosModules.default = { pkgs, lib, ... }: {
        imports = [ ./nix/module.nix ];
        services.mast.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      };
    };
}
